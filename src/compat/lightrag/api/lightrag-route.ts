import { applyDecorators, CallHandler, Controller, ExecutionContext, Injectable, NestInterceptor, UseFilters, UseInterceptors } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';
import { RawResponse } from '../../../common/decorators';
import { WorkspaceNeed, WorkspaceScoped } from '../../../context/workspace-scope';
import { LightragExceptionFilter, OllamaExceptionFilter } from './lightrag-errors';
import { compatResponseHeaders } from './lightrag-headers';

/** Puts Vary and X-Strata-Kb-Id on every successful compat response (errors get them from the filter). */
@Injectable()
export class LightragHeadersInterceptor implements NestInterceptor {
  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = ctx.switchToHttp();
    http.getResponse<FastifyReply>().headers(compatResponseHeaders(http.getRequest<FastifyRequest>()));
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
