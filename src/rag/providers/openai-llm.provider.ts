import OpenAI from 'openai';
import { countTokens } from '../chunking/tokens';
import { CallBounds, classifyFailure, NOT_JSON, upstreamError } from './call-bounds';
import { CallContext, ChatMessage, CompletionOptions, LlmProvider, TokenUsage } from './provider.types';
import { ProviderTelemetry } from './provider-telemetry';

/**
 * Chat completions through the official `openai` client (any OpenAI-compatible
 * server via LLM_BINDING_HOST). The client retries and times out each
 * attempt (built with CallBounds.clientOptions); CallBounds adds the
 * concurrency bound and the UPSTREAM_ERROR mapping.
 * Usage from the response is recorded with ctx.purpose as its kind.
 */
export class OpenAiLlmProvider implements LlmProvider {
  readonly binding = 'openai' as const;

  constructor(
    private readonly client: OpenAI,
    readonly model: string,
    private readonly bounds: CallBounds,
    private readonly telemetry: ProviderTelemetry,
  ) {}

  async complete(messages: ChatMessage[], opts: CompletionOptions, ctx: CallContext): Promise<{ text: string; usage: TokenUsage }> {
    const started = process.hrtime.bigint();
    try {
      const res = await this.bounds.run(
        () =>
          this.client.chat.completions.create({
            model: this.model,
            messages,
            ...(opts.json ? { response_format: { type: 'json_object' as const } } : {}),
            ...(opts.maxTokens !== undefined ? { max_tokens: opts.maxTokens } : {}),
            ...(opts.temperature !== undefined ? { temperature: opts.temperature } : {}),
          }),
        () => this.telemetry.error('openai', ctx.purpose),
        { owner: ctx.tenantId },
      );
      // A 200 that is not JSON (a proxy's HTML page as text/html) reaches here as a string.
      if (typeof res !== 'object' || res === null) {
        this.telemetry.error('openai', ctx.purpose);
        throw upstreamError(NOT_JSON);
      }
      const text = res.choices?.[0]?.message?.content ?? '';
      const usage = res.usage
        ? { input_tokens: res.usage.prompt_tokens ?? 0, output_tokens: res.usage.completion_tokens ?? 0 }
        : { input_tokens: countMessages(messages), output_tokens: countTokens(text) };
      this.telemetry.record(ctx, 'openai', this.model, usage);
      return { text, usage };
    } finally {
      this.telemetry.latency('openai', ctx.purpose, started);
    }
  }

  /**
   * Streams deltas. The connection is opened within the bounds (the client retries it);
   * once the first delta is out, a failure cannot be retried transparently and
   * ends the stream with UPSTREAM_ERROR. Each wait for the next delta is limited
   * by the timeout (UPSTREAM_TIMEOUT past it). A stream that ends without a
   * single chunk was not a stream (a 200 with some other body): UPSTREAM_ERROR.
   * The concurrency slot is held until the stream ends.
   */
  async *stream(messages: ChatMessage[], opts: CompletionOptions, ctx: CallContext): AsyncIterable<string> {
    const started = process.hrtime.bigint();
    const release = await this.bounds.semaphore.acquire(ctx.tenantId);
    let out = '';
    let usage: TokenUsage | null = null;
    const controller = new AbortController();
    let finished = false;
    let chunks = 0;
    try {
      const iterator = await this.bounds.run(
        async () => {
          const s = await this.client.chat.completions.create(
            {
              model: this.model,
              messages,
              stream: true,
              stream_options: { include_usage: true },
              ...(opts.maxTokens !== undefined ? { max_tokens: opts.maxTokens } : {}),
              ...(opts.temperature !== undefined ? { temperature: opts.temperature } : {}),
            },
            { signal: controller.signal },
          );
          return s[Symbol.asyncIterator]();
        },
        () => this.telemetry.error('openai', ctx.purpose),
        { holdsSlot: true },
      );
      while (true) {
        const next = await this.nextWithin(iterator, controller);
        if (next.done) {
          finished = true;
          if (chunks === 0) throw upstreamError('the provider answered HTTP 200 with a body that is not an event stream');
          break;
        }
        chunks++;
        const chunk = next.value;
        if (chunk.usage) usage = { input_tokens: chunk.usage.prompt_tokens ?? 0, output_tokens: chunk.usage.completion_tokens ?? 0 };
        const delta = chunk.choices?.[0]?.delta?.content;
        if (delta) {
          out += delta;
          yield delta;
        }
      }
    } catch (err) {
      if (err instanceof Error && err.name === 'AppException') throw err;
      this.telemetry.error('openai', ctx.purpose);
      const f = classifyFailure(err);
      throw upstreamError(f.reason, f.timedOut);
    } finally {
      // A consumer that stops early (client gone) must not leave the HTTP stream open.
      if (!finished) controller.abort();
      release();
      this.telemetry.latency('openai', ctx.purpose, started);
      if (usage === null && out) usage = { input_tokens: countMessages(messages), output_tokens: countTokens(out) };
      if (usage) this.telemetry.record(ctx, 'openai', this.model, usage);
    }
  }

  private async nextWithin<T>(it: AsyncIterator<T>, controller: AbortController): Promise<IteratorResult<T>> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        it.next(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            controller.abort();
            reject(upstreamError(`the stream stalled for ${this.bounds.timeoutMs} ms`, true));
          }, this.bounds.timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}

export function countMessages(messages: ChatMessage[]): number {
  let n = 0;
  for (const m of messages) n += countTokens(m.content) + 4;
  return n;
}
