/** A tenant's service tier: it scales the server-wide rate limits (see TenantLimitsService). */
export const TIERS = ['trial', 'standard', 'premium', 'enterprise'] as const;
export type Tier = (typeof TIERS)[number];
