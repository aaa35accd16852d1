import { Injectable } from '@nestjs/common';
import { ComputePool, workerFileNextTo } from '../../compute/compute-pool';
import type { ExtractionResult, RagComputeResult, RagComputeTask } from './rag-compute.worker';

/** The engine's CPU work (encode, local embedding, local extraction) in compute threads (rag-compute.worker.ts). */
@Injectable()
export class RagCompute {
  private worker: string | null = null;

  constructor(private readonly pool: ComputePool) {}

  async encode(text: string, signal?: AbortSignal): Promise<number[]> {
    const r = (await this.run({ op: 'encode', text }, signal)) as Extract<RagComputeResult, { op: 'encode' }>;
    return Array.from(r.tokens);
  }

  async embed(texts: string[], dim: number, model: string, signal?: AbortSignal): Promise<{ vectors: number[][]; inputTokens: number }> {
    const r = (await this.run({ op: 'embed', texts, dim, model }, signal)) as Extract<RagComputeResult, { op: 'embed' }>;
    return { vectors: r.vectors, inputTokens: r.inputTokens };
  }

  async extract(text: string, signal?: AbortSignal): Promise<{ result: ExtractionResult; inputTokens: number }> {
    const r = (await this.run({ op: 'extract', text }, signal)) as Extract<RagComputeResult, { op: 'extract' }>;
    return { result: r.result, inputTokens: r.inputTokens };
  }

  private run(task: RagComputeTask, signal?: AbortSignal): Promise<RagComputeResult> {
    this.worker ??= workerFileNextTo(__filename, 'rag-compute.worker');
    return this.pool.run<RagComputeTask, RagComputeResult>(this.worker, task, signal);
  }
}
