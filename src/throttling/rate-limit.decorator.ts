import { SetMetadata } from '@nestjs/common';

export const RATE_LIMIT_CATEGORY = 'strata:rate-limit-category';
export type RateLimitCategory = 'query' | 'document';

/**
 * Puts a route in a per-tenant budget: `query` (RATE_LIMIT_QUERIES_PER_MINUTE,
 * by tier) or `document` (RATE_LIMIT_DOCUMENTS_PER_HOUR). Other routes share
 * the cheaper CRUD budget.
 */
export const RateLimit = (category: RateLimitCategory) => SetMetadata(RATE_LIMIT_CATEGORY, category);
