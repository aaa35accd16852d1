import { applyDecorators, UseGuards } from '@nestjs/common';
import { AuditAction } from '../common/audit-action';
import { RequirePermissions } from '../context/decorators';
import { RateLimit } from '../throttling/rate-limit.decorator';
import { ConsumesModelBudget, ModelBudgetGuard } from '../usage/model-budget';

/**
 * A route that adds documents to a KB (native and LightRAG's): document:write,
 * the tenant's document rate limit, its monthly model budget (ingestion calls
 * models), one document.add audit entry. The status code is the route's own.
 */
export const AddsDocuments = () =>
  applyDecorators(RequirePermissions('document:write'), RateLimit('document'), ConsumesModelBudget('ingestion'), UseGuards(ModelBudgetGuard), AuditAction('document.add'));
