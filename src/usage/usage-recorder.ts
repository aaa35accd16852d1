/**
 * One model call's usage, as the providers report it (seed 003). The usage
 * module stores these, aggregates them for GET /tenants/:id/usage and enforces
 * soft limits; providers only call `record`.
 */
export interface UsageEvent {
  tenantId: string;
  kbId: string | null;
  apiKeyId?: string | null;
  provider: 'local' | 'openai';
  model: string;
  kind: 'embedding' | 'extraction' | 'keywords' | 'answer';
  inputTokens: number;
  outputTokens: number;
  /** hosted = the server's LLM key; byo_key = the tenant's own key. */
  executionMode: 'hosted' | 'byo_key';
}

export abstract class UsageRecorder {
  abstract record(event: UsageEvent): void;
  /** Throws QUOTA_EXCEEDED when the tenant is at 100 % of a monthly token/cost limit. */
  abstract assertWithinLimits(tenantId: string): Promise<void>;
}
