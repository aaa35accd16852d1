import { CallHandler, ExecutionContext, HttpStatus, Injectable, NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { catchError, from, map, mergeMap, Observable, tap, throwError } from 'rxjs';
import { describePrincipal } from '../context/principal';
import { TenantContext } from '../context/tenant-context';
import { toErrorResponse } from '../common/error-mapping';
import { AUDIT_ACTION } from '../common/audit-action';
import { AuditService } from './audit.service';

/** Path parameters naming the resource a route acts on, most specific first. */
const ID_PARAMS = ['documentId', 'keyId', 'userId', 'kbId', 'tenantId'];
/** Fields of a result that name what a route created. */
const ID_FIELDS = ['document_id', 'key_id', 'user_id', 'kb_id', 'tenant_id'];
/**
 * Actions on the hot paths (queries, document uploads): their entries are
 * batched, so recording them costs no database round trip. Every other action
 * is a rare state change whose entry is written before the response leaves,
 * so a client (or an auditor) that saw the change also finds its record.
 */
const BATCHED_ACTIONS = new Set(['query.run', 'document.add']);
/** Actions kept in the platform chain (tenant_id NULL), with the tenant as resource id. */
const PLATFORM_ACTIONS = new Set(['tenant.delete']);

function resourceFrom(params: Record<string, string | undefined>, result: unknown): string | null {
  if (result && typeof result === 'object') {
    const r = result as Record<string, unknown>;
    for (const f of ID_FIELDS) if (typeof r[f] === 'string') return r[f] as string;
    if (Array.isArray(r.document_ids))
      return (
        (r.document_ids as unknown[])
          .filter((x) => typeof x === 'string')
          .join(',')
          .slice(0, 200) || null
      );
  }
  for (const p of ID_PARAMS) if (params[p]) return params[p]!;
  return null;
}

/**
 * Records one audit entry per call of a route marked @AuditAction('…'):
 * actor, tenant, KB, resource id, outcome and status, request id, client IP.
 * Never the body (no secrets, no document text); login adds the username.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly audit: AuditService,
    private readonly context: TenantContext,
  ) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const action = this.reflector.get<string | undefined>(AUDIT_ACTION, ctx.getHandler());
    if (!action || !this.audit.enabled) return next.handle();
    const req = ctx.switchToHttp().getRequest<FastifyRequest>();
    const params = (req.params ?? {}) as Record<string, string | undefined>;
    const okStatus = this.reflector.get<number | undefined>(HTTP_CODE_METADATA, ctx.getHandler()) ?? (req.method === 'POST' ? HttpStatus.CREATED : HttpStatus.OK);
    const write = (outcome: 'success' | 'denied' | 'failed', status: number, result: unknown) => {
      const principal = this.context.principal;
      const r = result && typeof result === 'object' ? (result as Record<string, unknown>) : {};
      const details: Record<string, unknown> = { method: req.method, route: req.routeOptions?.url ?? null };
      if (action === 'auth.login') {
        const body = req.body as { username?: unknown } | undefined;
        if (typeof body?.username === 'string') details.username = body.username.slice(0, 200);
      }
      // A tenant's deletion is recorded in the platform chain: a purge removes the tenant's own chain.
      const platform = PLATFORM_ACTIONS.has(action);
      const tenantId = platform ? null : (this.context.tenantId ?? (typeof r.tenant_id === 'string' ? r.tenant_id : null) ?? null);
      this.audit.record({
        tenantId,
        kbId: platform ? null : (this.context.kbId ?? (typeof r.kb_id === 'string' ? r.kb_id : null) ?? null),
        actor: principal ? describePrincipal(principal) : 'anonymous',
        action,
        resourceId: resourceFrom(params, outcome === 'success' ? result : null),
        outcome,
        httpStatus: status,
        requestId: String(req.id),
        clientIp: req.ip ?? null,
        details,
      });
      return tenantId;
    };
    if (BATCHED_ACTIONS.has(action)) {
      return next.handle().pipe(
        tap({
          next: (result) => write('success', okStatus, result),
          error: (err: unknown) => write(failureOutcome(err), toErrorResponse(err, '').status, null),
        }),
      );
    }
    // The entry's own chain is written before the response leaves (not the whole buffer: other tenants' batched entries do not delay it).
    const persisted = (tenantId: string | null) => from(this.audit.flushChain(tenantId).catch(() => undefined));
    return next.handle().pipe(
      mergeMap((result) => persisted(write('success', okStatus, result)).pipe(map(() => result))),
      catchError((err: unknown) => persisted(write(failureOutcome(err), toErrorResponse(err, '').status, null)).pipe(mergeMap(() => throwError(() => err)))),
    );
  }
}

function failureOutcome(err: unknown): 'denied' | 'failed' {
  return toErrorResponse(err, '').status === 403 ? 'denied' : 'failed';
}
