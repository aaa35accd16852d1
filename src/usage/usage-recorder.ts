/**
 * One model call's usage, as the providers report it. The usage module stores
 * these, aggregates them for GET /tenants/:id/usage and counts them against
 * the tenant's monthly model budget; providers only call `record`.
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
}
