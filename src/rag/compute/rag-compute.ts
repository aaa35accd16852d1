import { Injectable } from '@nestjs/common';
import { AppException } from '../../common/app-exception';
import { ComputeAborted, ComputePool, workerFileNextTo } from '../../compute/compute-pool';
import type { OffloadedCompute, QueryKeywords, TokenUsage } from '../providers/provider.types';
import type { ExtractionResult, RagComputeResult, RagComputeTask } from './rag-compute.worker';

/**
 * Queries longer than this (characters) have their local keyword extraction
 * and embedding done in a compute thread: a 10 000-character query costs
 * 0.2–0.5 s of CPU there (measured, issue 14), which on the request thread
 * would stall every tenant's requests. Shorter ones cost < 15 ms inline,
 * less than the hop to a thread is worth.
 */
export const QUERY_INLINE_MAX_CHARS = 500;
/** A query's share of the compute threads ends after this; the query answers 503. */
const QUERY_COMPUTE_BUDGET_MS = 15_000;

/** The engine's CPU work (encode, local embedding, local extraction) in compute threads (rag-compute.worker.ts). */
@Injectable()
export class RagCompute {
  private worker: string | null = null;

  constructor(private readonly pool: ComputePool) {}

  async encode(text: string, signal?: AbortSignal, owner?: string): Promise<number[]> {
    const r = (await this.run({ op: 'encode', text }, signal, owner)) as Extract<RagComputeResult, { op: 'encode' }>;
    return Array.from(r.tokens);
  }

  async embed(texts: string[], dim: number, model: string, signal?: AbortSignal, owner?: string): Promise<{ vectors: number[][]; inputTokens: number }> {
    const r = (await this.run({ op: 'embed', texts, dim, model }, signal, owner)) as Extract<RagComputeResult, { op: 'embed' }>;
    return { vectors: r.vectors, inputTokens: r.inputTokens };
  }

  async extract(text: string, signal?: AbortSignal, owner?: string): Promise<{ result: ExtractionResult; inputTokens: number }> {
    const r = (await this.run({ op: 'extract', text }, signal, owner)) as Extract<RagComputeResult, { op: 'extract' }>;
    return { result: r.result, inputTokens: r.inputTokens };
  }

  async keywords(text: string, signal?: AbortSignal, owner?: string): Promise<{ result: QueryKeywords; usage: TokenUsage }> {
    const r = (await this.run({ op: 'keywords', text }, signal, owner)) as Extract<RagComputeResult, { op: 'keywords' }>;
    return { result: r.result, usage: { input_tokens: r.inputTokens, output_tokens: r.outputTokens } };
  }

  /**
   * The compute threads for one query's local CPU work (keywords, embedding),
   * in the tenant's turn and under the query's budget; a query whose budget ran out, or that finds the
   * queue full or the pool closing, answers 503 UNAVAILABLE.
   */
  forQuery(tenantId: string): OffloadedCompute {
    const signal = AbortSignal.timeout(QUERY_COMPUTE_BUDGET_MS);
    const mapped = <T>(work: Promise<T>): Promise<T> =>
      work.catch((err: unknown) => {
        if (err instanceof ComputeAborted) throw new AppException('UNAVAILABLE', 'The server is too busy to process this query now; retry shortly.');
        throw err;
      });
    return {
      embed: (texts, dim, model) => mapped(this.embed(texts, dim, model, signal, tenantId)),
      extract: (text) => mapped(this.extract(text, signal, tenantId)),
      keywords: (text) => mapped(this.keywords(text, signal, tenantId)),
    };
  }

  /** `owner`: the tenant the work is for (its turn among the tenants waiting for a thread). */
  private run(task: RagComputeTask, signal?: AbortSignal, owner?: string): Promise<RagComputeResult> {
    this.worker ??= workerFileNextTo(__filename, 'rag-compute.worker');
    return this.pool.run<RagComputeTask, RagComputeResult>(this.worker, task, signal, owner);
  }
}
