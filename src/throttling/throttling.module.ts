import { Global, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { TenantContext } from '../context/tenant-context';
import { AuthFailureCounter, AuthFailureLimiter } from './auth-failure.limiter';
import { DocumentQuota } from './document-quota';
import { DocumentQuotaService } from './document-quota.service';
import { RateLimitStorage } from './rate-limit.storage';
import { TenantLimitsService } from './tenant-limits.service';
import { categoryOf, TenantThrottlerGuard } from './tenant-throttler.guard';

/**
 * Per-tenant rate limits (@nestjs/throttler with our storage) and quotas.
 * APP_GUARD providers run in module registration order: AuthModule (and its
 * AccessGuard) is imported before this module in AppModule, so the tenant is
 * known when the throttler runs (test/e2e/ops-rate-limits verifies it).
 */
@Global()
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [TenantLimitsService, TenantContext, Reflector, RateLimitStorage],
      useFactory: (limits: TenantLimitsService, context: TenantContext, reflector: Reflector, storage: RateLimitStorage) => {
        const tenant = () => context.requireTenantId();
        const only = (category: string) => (ctx: import('@nestjs/common').ExecutionContext) => {
          if (categoryOf(reflector, ctx) !== category) return true;
          // The platform admin is not held to a tenant's CRUD budget (queries and documents still count).
          return category === 'crud' && context.principal?.kind === 'admin';
        };
        return {
          storage,
          throttlers: (['query', 'document', 'crud'] as const).map((name) => ({
            name,
            skipIf: only(name),
            limit: async () => (await limits.budget(tenant(), name)).limit,
            ttl: async () => (await limits.budget(tenant(), name)).ttlMs,
          })),
        };
      },
    }),
  ],
  providers: [
    RateLimitStorage,
    TenantLimitsService,
    AuthFailureCounter,
    AuthFailureLimiter,
    DocumentQuotaService,
    { provide: DocumentQuota, useExisting: DocumentQuotaService },
    { provide: APP_GUARD, useClass: TenantThrottlerGuard },
  ],
  exports: [DocumentQuota, RateLimitStorage, TenantLimitsService, AuthFailureCounter],
})
export class ThrottlingModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(AuthFailureLimiter).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
