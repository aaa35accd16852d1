import OpenAI from 'openai';
import { CallBounds, NOT_JSON, upstreamError } from './call-bounds';
import { CallContext, EmbeddingProvider } from './provider.types';
import { ProviderTelemetry } from './provider-telemetry';

/** Inputs per embeddings request. */
export const EMBEDDING_BATCH = 64;

/**
 * Embeddings through the official `openai` client, 64 inputs per request
 * (each request bounded by CallBounds). The returned dimension must equal
 * EMBEDDING_DIM (the vector column has one width); vectors are L2-normalised.
 * `dimensions` is sent only to text-embedding-3 models, which support it;
 * other OpenAI-compatible servers return their native width.
 */
export class OpenAiEmbeddingProvider implements EmbeddingProvider {
  readonly binding = 'openai' as const;

  constructor(
    private readonly client: OpenAI,
    readonly model: string,
    readonly dim: number,
    private readonly bounds: CallBounds,
    private readonly telemetry: ProviderTelemetry,
  ) {}

  async embed(texts: string[], ctx: CallContext): Promise<number[][]> {
    const out: number[][] = [];
    for (let i = 0; i < texts.length; i += EMBEDDING_BATCH) {
      out.push(...(await this.embedBatch(texts.slice(i, i + EMBEDDING_BATCH), ctx)));
    }
    return out;
  }

  private async embedBatch(batch: string[], ctx: CallContext): Promise<number[][]> {
    const started = process.hrtime.bigint();
    // The API rejects empty strings; an empty text embeds as a single space.
    const input = batch.map((t) => (t.trim() === '' ? ' ' : t));
    try {
      const res = await this.bounds.run(
        () =>
          this.client.embeddings.create({
            model: this.model,
            input,
            encoding_format: 'float',
            ...(this.model.startsWith('text-embedding-3') ? { dimensions: this.dim } : {}),
          }),
        () => this.telemetry.error('openai', 'embedding'),
        { owner: ctx.tenantId },
      );
      // A 200 that is not JSON (a proxy's HTML page as text/html) reaches here as a string.
      if (typeof res !== 'object' || res === null) {
        this.telemetry.error('openai', 'embedding');
        throw upstreamError(NOT_JSON);
      }
      const data = [...(res.data ?? [])].sort((a, b) => a.index - b.index);
      if (data.length !== input.length) {
        throw upstreamError(`the embeddings response has ${data.length} vectors for ${input.length} inputs`);
      }
      const vectors = data.map((d) => {
        const v = d.embedding as unknown as number[];
        if (!Array.isArray(v) || v.length !== this.dim) {
          throw upstreamError(`model ${this.model} returned ${Array.isArray(v) ? v.length : 'no'}-dimensional embeddings but EMBEDDING_DIM is ${this.dim}`);
        }
        return normalise(v);
      });
      this.telemetry.record({ ...ctx, purpose: 'embedding' }, 'openai', this.model, { input_tokens: res.usage?.prompt_tokens ?? 0, output_tokens: 0 });
      return vectors;
    } finally {
      this.telemetry.latency('openai', 'embedding', started);
    }
  }
}

export function normalise(v: number[]): number[] {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n);
  return n > 0 ? v.map((x) => x / n) : v.slice();
}
