import { applyDecorators, CallHandler, Controller, ExecutionContext, Injectable, NestInterceptor, UseFilters, UseInterceptors } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';
import { RawResponse } from '../../../common/decorators';
import { TenantContext } from '../../../context/tenant-context';
import { WorkspaceNeed, WorkspaceScoped } from '../../../context/workspace-scope';
import { LightragExceptionFilter, OllamaExceptionFilter } from './lightrag-errors';
import { compatResponseHeaders } from './lightrag-headers';
import type { CompatRequestState } from './workspace-resolver';
import { TokenRenewal } from './token-renewal';

/**
 * Puts Vary, X-Strata-Kb-Id and, when the bearer token is due for renewal,
 * X-New-Token on every compat response the guard let through (streams and
 * errors take them from compatResponseHeaders too).
 */
@Injectable()
export class LightragHeadersInterceptor implements NestInterceptor {
  constructor(
    private readonly renewal: TokenRenewal,
    private readonly context: TenantContext,
  ) {}

  async intercept(ctx: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const http = ctx.switchToHttp();
    const req = http.getRequest<FastifyRequest & CompatRequestState>();
    const token = await this.renewal.forRequest(req, this.context.principal);
    if (token) req.lightragNewToken = token;
    http.getResponse<FastifyReply>().headers(compatResponseHeaders(req));
    return next.handle();
  }
}

/**
 * A controller of the LightRAG-compatible API: served under the compat prefix
 * (RouterModule, LIGHTRAG_COMPAT_PREFIX) at `path` and at `w/:workspace/path`
 * (the path-scoped form for clients that cannot send headers); bodies are
 * LightRAG's own (no envelope), errors are {"detail": …} (`ollama`: plus
 * "error"); kept out of Strata's OpenAPI document, whose shapes it does not follow.
 */
export function LightragController(path: string, flavour: 'detail' | 'ollama' = 'detail'): ClassDecorator {
  const sub = path.replace(/^\/+|\/+$/g, '');
  return applyDecorators(
    Controller([sub, sub ? `w/:workspace/${sub}` : 'w/:workspace']),
    RawResponse(),
    UseFilters(flavour === 'ollama' ? OllamaExceptionFilter : LightragExceptionFilter),
    UseInterceptors(LightragHeadersInterceptor),
    ApiExcludeController(),
  );
}

/** Which workspace a compat route needs (see WorkspaceNeed); AccessGuard resolves it before any other check. */
export const LightragRoute = (need: WorkspaceNeed) => WorkspaceScoped(need);
