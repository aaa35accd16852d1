import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectThrottlerOptions, ThrottlerGuard, type ThrottlerModuleOptions } from '@nestjs/throttler';
import type { ThrottlerRequest } from '@nestjs/throttler/dist/throttler.guard.interface';
import type { FastifyReply } from 'fastify';
import { TenantContext } from '../context/tenant-context';
import { AppException } from '../common/app-exception';
import { MetricsService } from '../metrics/metrics.service';
import { RATE_LIMIT_CATEGORY, RateLimitCategory } from './rate-limit.decorator';
import { RateLimitStorage } from './rate-limit.storage';

const MESSAGES: Record<string, string> = {
  query: "This tenant has used its query budget for this minute (RATE_LIMIT_QUERIES_PER_MINUTE or the tenant's tier); retry after the delay in Retry-After.",
  document: "This tenant has used its document budget for this hour (RATE_LIMIT_DOCUMENTS_PER_HOUR or the tenant's tier); retry after the delay in Retry-After.",
  crud: 'This tenant is sending too many requests this minute; retry after the delay in Retry-After.',
};

/**
 * @nestjs/throttler, keyed by tenant instead of IP. Not a global guard: the
 * AccessGuard calls it as its last step, after access control has filled the
 * TenantContext, so a refused request never spends a tenant's budget and
 * every throttler reads the tenant from the context. One budget per category
 * (`query`, `document` from @RateLimit, `crud` for the rest) per tenant,
 * shared by all of the tenant's keys and users and, with REDIS_URL, by every
 * replica. Public routes and tenant-less admin routes are not limited here.
 */
@Injectable()
export class TenantThrottlerGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    storage: RateLimitStorage,
    reflector: Reflector,
    private readonly context: TenantContext,
    private readonly metrics: MetricsService,
  ) {
    super(options, storage, reflector);
  }

  protected override async shouldSkip(_ctx: ExecutionContext): Promise<boolean> {
    return !this.context.tenantId;
  }

  protected override async getTracker(): Promise<string> {
    return this.context.tenantId ?? 'none';
  }

  protected override generateKey(_ctx: ExecutionContext, tracker: string, throttlerName: string): string {
    return `${throttlerName}:${tracker}`;
  }

  protected override async handleRequest(r: ThrottlerRequest): Promise<boolean> {
    const tracker = await this.getTracker();
    const key = this.generateKey(r.context, tracker, r.throttler.name ?? 'default');
    const rec = await this.storageService.increment(key, r.ttl, r.limit, r.blockDuration, r.throttler.name ?? 'default');
    const headers: Record<string, string> = {
      'RateLimit-Limit': String(r.limit),
      'RateLimit-Remaining': String(Math.max(0, r.limit - rec.totalHits)),
      'RateLimit-Reset': String(rec.timeToExpire),
    };
    if (rec.isBlocked) {
      headers['Retry-After'] = String(rec.timeToBlockExpire);
      this.metrics.rateLimited.inc({ tenant_id: tracker, category: r.throttler.name ?? 'default' });
      throw new AppException('RATE_LIMITED', MESSAGES[r.throttler.name ?? 'crud'] ?? MESSAGES.crud, undefined, headers);
    }
    const reply = r.context.switchToHttp().getResponse<FastifyReply>();
    for (const [k, v] of Object.entries(headers)) reply.header(k, v);
    return true;
  }
}

/** The category a route's budget belongs to. */
export function categoryOf(reflector: Reflector, ctx: ExecutionContext): RateLimitCategory | 'crud' {
  return reflector.getAllAndOverride<RateLimitCategory | undefined>(RATE_LIMIT_CATEGORY, [ctx.getHandler(), ctx.getClass()]) ?? 'crud';
}
