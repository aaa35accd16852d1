import { Injectable } from '@nestjs/common';
import { toErrorResponse } from '../common/error-mapping';
import type { Principal } from '../context/principal';
import { QueryEngine, QueryInput } from '../rag/retrieval/query-engine';
import type { QueryDto } from './queries.dto';

function toInput(body: QueryDto, principal: Principal | undefined): QueryInput {
  return {
    query: body.query,
    mode: body.mode,
    topK: body.top_k,
    chunkTopK: body.chunk_top_k,
    enableRerank: body.enable_rerank,
    responseType: body.response_type,
    history: (body.conversation_history ?? []).map((m) => ({ role: m.role, content: m.content })),
    apiKeyId: principal?.kind === 'api_key' ? principal.id : undefined,
  };
}

/** The query routes' work: retrieval and the answer through the engine, latency observed once per request. */
@Injectable()
export class QueriesService {
  constructor(private readonly engine: QueryEngine) {}

  /** POST …/query: the answer, or only the retrieved context (only_need_context, no model call). */
  async query(tenantId: string, kbId: string, body: QueryDto, principal: Principal | undefined): Promise<unknown> {
    const started = process.hrtime.bigint();
    const input = toInput(body, principal);
    const prepared = await this.engine.prepare(tenantId, kbId, input);
    try {
      if (body.only_need_context) return { mode: prepared.mode, context: prepared.context, references: prepared.references };
      const { text, usage } = await this.engine.answer(prepared, input);
      return {
        response: text,
        mode: prepared.mode,
        references: prepared.references,
        usage: { input_tokens: usage.input_tokens, output_tokens: usage.output_tokens, total_tokens: usage.input_tokens + usage.output_tokens },
      };
    } finally {
      this.engine.observeLatency(tenantId, prepared.mode, started);
    }
  }

  /**
   * POST …/query/stream: retrieval runs before this resolves (so its errors
   * are ordinary error envelopes); the NDJSON lines then follow. A failure
   * after the first line ends the stream with an {"error"} line carrying
   * `requestId`. Stopping the iteration early (client gone) stops the model stream.
   */
  async stream(tenantId: string, kbId: string, body: QueryDto, principal: Principal | undefined, requestId: string): Promise<AsyncIterable<unknown>> {
    const started = process.hrtime.bigint();
    const input = toInput(body, principal);
    const prepared = await this.engine.prepare(tenantId, kbId, input);
    const engine = this.engine;
    return (async function* lines() {
      try {
        if (body.only_need_context) {
          yield { mode: prepared.mode, context: prepared.context, references: prepared.references };
        } else {
          yield { mode: prepared.mode, references: prepared.references };
          if (body.stream === false) {
            const { text } = await engine.answer(prepared, input);
            yield { response: text };
          } else {
            for await (const delta of engine.stream(prepared, input)) if (delta) yield { response: delta };
          }
        }
        yield { done: true };
      } catch (err) {
        yield { error: toErrorResponse(err, requestId).body.error };
      } finally {
        engine.observeLatency(tenantId, prepared.mode, started);
      }
    })();
  }
}
