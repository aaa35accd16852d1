import { applyDecorators, CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiResponse } from '@nestjs/swagger';
import { TenantContext } from '../context/tenant-context';
import { UsageService } from './usage.service';

/** What a request spends the tenant's monthly model budget on. */
export type ModelBudgetKind = 'query' | 'ingestion';

export const CONSUMES_MODEL_BUDGET = 'strata:consumes-model-budget';

/**
 * Marks a route that calls a model on the tenant's account (embedding,
 * extraction, keywords, answer): ModelBudgetGuard refuses it with 429
 * QUOTA_EXCEEDED once the tenant has used 100 % of its monthly token or cost
 * limit. Also declares that 429 in the OpenAPI document. The guard is a
 * separate, explicit step on the same route: `@UseGuards(ModelBudgetGuard)`.
 */
export const ConsumesModelBudget = (kind: ModelBudgetKind) =>
  applyDecorators(
    SetMetadata(CONSUMES_MODEL_BUDGET, kind),
    ApiResponse({
      status: 429,
      description:
        'QUOTA_EXCEEDED when the tenant has used its monthly model budget (limits.monthly_token_limit or monthly_cost_limit_usd); ' +
        'Retry-After is then the seconds to the start of the next UTC month. ' +
        (kind === 'ingestion' ? 'Also QUOTA_EXCEEDED over the document or storage quota (Retry-After: 3600). ' : '') +
        "RATE_LIMITED over the tenant's rate limit (Retry-After and RateLimit-* headers).",
      headers: { 'Retry-After': { description: 'Seconds until the request may be retried', schema: { type: 'integer' } } },
    }),
  );

/**
 * Refuses a @ConsumesModelBudget() route when the tenant is at or past 100 %
 * of a monthly model limit. Runs after the global AccessGuard (route guards
 * always follow global ones), so the tenant is the one access control
 * resolved. The month-to-date totals come from UsageService's short cache:
 * no database round trip per request.
 */
@Injectable()
export class ModelBudgetGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly context: TenantContext,
    private readonly usage: UsageService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const kind = this.reflector.get<ModelBudgetKind | undefined>(CONSUMES_MODEL_BUDGET, ctx.getHandler());
    if (!kind) throw new Error(`ModelBudgetGuard on ${ctx.getClass().name}.${ctx.getHandler().name} without @ConsumesModelBudget()`);
    await this.usage.assertAvailable(this.context.requireTenantId(), kind);
    return true;
  }
}
