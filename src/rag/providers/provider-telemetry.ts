import type { EngineMetrics, UsageSink } from '../ports';
import { countTokens } from '../chunking/tokens';
import { CallContext, TokenUsage } from './provider.types';

type Binding = 'local' | 'openai';
type Kind = CallContext['purpose'];

/**
 * Where providers report what they did: token usage to the UsageSink port
 * and latency/errors to Prometheus (EngineMetrics). In the server both are
 * always bound (src/engine/engine.module.ts); ModelFactory used without Nest
 * (tests, scripts) may leave them out. A failing sink never fails a model call.
 */
export class ProviderTelemetry {
  constructor(
    private readonly usage: UsageSink | null | undefined,
    private readonly metrics: EngineMetrics | null | undefined,
    readonly executionMode: 'hosted' | 'byo_key' = 'hosted',
  ) {}

  /** The same sinks, labelled with another execution mode (a tenant's own key). */
  withMode(mode: 'hosted' | 'byo_key'): ProviderTelemetry {
    return mode === this.executionMode ? this : new ProviderTelemetry(this.usage, this.metrics, mode);
  }

  record(ctx: CallContext, provider: Binding, model: string, usage: TokenUsage): void {
    if (!this.usage) return;
    try {
      this.usage.record({
        tenantId: ctx.tenantId,
        kbId: ctx.kbId || null,
        apiKeyId: ctx.apiKeyId ?? null,
        provider,
        model,
        kind: ctx.purpose,
        inputTokens: usage.input_tokens,
        outputTokens: usage.output_tokens,
        executionMode: this.executionMode,
      });
    } catch {
      // Usage accounting must not turn a successful model call into an error.
    }
  }

  /** Local providers: usage counted with cl100k_base, so usage pages mean something without a remote model. */
  recordCounted(ctx: CallContext, provider: Binding, model: string, inputs: string[], outputs: string[]): TokenUsage {
    const usage = { input_tokens: sum(inputs), output_tokens: sum(outputs) };
    if (this.usage) this.record(ctx, provider, model, usage);
    return usage;
  }

  latency(binding: Binding, kind: Kind, startedNs: bigint): void {
    try {
      this.metrics?.providerLatency.observe({ binding, kind }, Number(process.hrtime.bigint() - startedNs) / 1e9);
    } catch {
      /* metrics are best effort */
    }
  }

  error(binding: Binding, kind: Kind): void {
    try {
      this.metrics?.providerErrors.inc({ binding, kind });
    } catch {
      /* metrics are best effort */
    }
  }
}

function sum(texts: string[]): number {
  let n = 0;
  for (const t of texts) n += countTokens(t);
  return n;
}
