import { ExecutionContext, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { getOptionsToken, getStorageToken, ThrottlerModuleOptions } from '@nestjs/throttler';
import { TenantContext } from '../context/tenant-context';
import { MetricsModule } from '../metrics/metrics.module';
import { AuthFailureCounter, AuthFailureLimiter } from './auth-failure.limiter';
import { DocumentQuota } from './document-quota';
import { DocumentQuotaService } from './document-quota.service';
import { RateLimitStorage } from './rate-limit.storage';
import { TenantLimitsService } from './tenant-limits.service';
import { ThrottlingRepository } from './throttling.repository';
import { categoryOf, TenantThrottlerGuard } from './tenant-throttler.guard';

/**
 * Per-tenant rate limits (@nestjs/throttler with our storage), the
 * failed-login limiter and document quotas. The rate limiter is not a guard
 * of its own: AccessGuard calls TenantThrottlerGuard as its last step, once
 * the tenant is known (test/e2e/ops-rate-limits verifies the order).
 */
@Module({
  imports: [MetricsModule],
  providers: [
    {
      // @nestjs/throttler's options, provided here (not through ThrottlerModule) so they are resolved in this module.
      provide: getOptionsToken(),
      inject: [TenantLimitsService, TenantContext, Reflector],
      useFactory: (limits: TenantLimitsService, context: TenantContext, reflector: Reflector): ThrottlerModuleOptions => {
        const tenant = () => context.requireTenantId();
        const only = (category: string) => (ctx: ExecutionContext) => {
          if (categoryOf(reflector, ctx) !== category) return true;
          // The platform admin is not held to a tenant's CRUD budget (queries and documents still count).
          return category === 'crud' && context.principal?.kind === 'admin';
        };
        return {
          throttlers: (['query', 'document', 'crud'] as const).map((name) => ({
            name,
            skipIf: only(name),
            limit: async () => (await limits.budget(tenant(), name)).limit,
            ttl: async () => (await limits.budget(tenant(), name)).ttlMs,
          })),
        };
      },
    },
    ThrottlingRepository,
    RateLimitStorage,
    { provide: getStorageToken(), useExisting: RateLimitStorage },
    TenantLimitsService,
    AuthFailureCounter,
    AuthFailureLimiter,
    DocumentQuotaService,
    { provide: DocumentQuota, useExisting: DocumentQuotaService },
    TenantThrottlerGuard,
  ],
  exports: [DocumentQuota, RateLimitStorage, TenantLimitsService, AuthFailureCounter, TenantThrottlerGuard],
})
export class ThrottlingModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(AuthFailureLimiter).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
