import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Observable, tap } from 'rxjs';
import { TenantContext } from '../context/tenant-context';
import { MetricsService } from './metrics.service';

/**
 * Per-tenant call counters (api_calls_per_tenant, api_key_usage) for requests
 * the guard let through, and tenant_creation_time around POST /tenants.
 */
@Injectable()
export class MetricsInterceptor implements NestInterceptor {
  constructor(
    private readonly metrics: MetricsService,
    private readonly context: TenantContext,
  ) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const principal = this.context.principal;
    const tenantId = this.context.tenantId;
    try {
      if (tenantId) this.metrics.apiCallsPerTenant.inc({ tenant_id: tenantId });
      if (principal?.kind === 'api_key') this.metrics.apiKeyUsage.inc({ tenant_id: principal.tenantId, key_id: principal.id });
    } catch {
      // metrics never fail a request
    }
    const req = ctx.switchToHttp().getRequest<FastifyRequest>();
    if (req.method !== 'POST' || req.routeOptions?.url !== '/api/v1/tenants') return next.handle();
    const end = this.metrics.tenantCreationTime.startTimer();
    return next.handle().pipe(tap({ next: () => end() }));
  }
}
