import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Piscina from 'piscina';
import { AppException } from '../common/app-exception';
import { AppConfig } from '../config/app-config';
import type { ParsedDocument, ParseLimits } from '../documents/parsers/parse-document';
import type { ComputeFailure, ComputeResult, ComputeTask, ExtractionResult } from './compute.tasks';

/**
 * The compiled worker entry. Under ts-jest/swc this file runs from src/ as
 * TypeScript, which a worker thread cannot load: the compiled copy in dist/
 * is used (`npm test` builds first).
 */
function workerFile(): string {
  const compiled = __filename.endsWith('.ts') ? join(__dirname, '../../dist/src/compute/compute.worker.js') : join(__dirname, 'compute.worker.js');
  if (!existsSync(compiled)) throw new Error(`compute worker ${compiled} is missing: run "npm run build" first`);
  return compiled;
}

/** Why a task stopped before finishing: its caller's budget ran out, or the pool is closing. */
export class ComputeAborted extends Error {
  constructor(readonly reason: 'budget' | 'shutdown' | 'memory', message: string) {
    super(message);
    this.name = 'ComputeAborted';
  }
}

/**
 * Worker threads (piscina) for the CPU-heavy work of documents, so no upload
 * and no ingestion job ever runs it on the thread that answers requests:
 * parsing uploads, cl100k encoding, the local embedding and extraction.
 * - COMPUTE_THREADS threads (default 2); tasks wait in a bounded queue.
 * - Each thread's V8 heap is capped (COMPUTE_THREAD_MEMORY_MB): a task that
 *   needs more fails (the thread is replaced), the server does not grow.
 * - A task takes an AbortSignal: when its caller's time budget ends, piscina
 *   terminates the thread running it (even in the middle of a tight loop)
 *   and starts a fresh one.
 */
@Injectable()
export class ComputePool implements OnApplicationShutdown {
  private readonly logger = new Logger(ComputePool.name);
  private pool: Piscina<ComputeTask, ComputeResult | ComputeFailure> | null = null;
  private closed = false;

  constructor(private readonly config: AppConfig) {}

  private get piscina(): Piscina<ComputeTask, ComputeResult | ComputeFailure> {
    if (this.closed) throw new ComputeAborted('shutdown', 'The server is shutting down.');
    if (!this.pool) {
      const s = this.config.settings;
      this.pool = new Piscina({
        filename: workerFile(),
        minThreads: 0,
        maxThreads: s.computeThreads,
        idleTimeout: 30_000,
        maxQueue: Math.max(64, s.computeThreads * 32),
        resourceLimits: { maxOldGenerationSizeMb: s.computeThreadMemoryMb },
        // The parent's --max-old-space-size etc. must not leak into the threads' own limits.
        execArgv: [],
      });
    }
    return this.pool;
  }

  /** Parses an upload in a thread within PARSE_TIMEOUT_S; a parser error is the same 4xx as in-process. */
  async parse(data: Buffer, fileName: string, mimeType: string | undefined, limits: ParseLimits): Promise<ParsedDocument> {
    const seconds = Math.round(this.config.settings.parseTimeoutMs / 1000);
    const signal = AbortSignal.timeout(this.config.settings.parseTimeoutMs);
    try {
      const r = await this.run({ op: 'parse', data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), fileName, mimeType, limits }, signal);
      return (r as Extract<ComputeResult, { op: 'parse' }>).parsed;
    } catch (err) {
      if (err instanceof ComputeAborted && err.reason === 'budget') {
        throw AppException.validation(`The file could not be parsed within ${seconds} s (PARSE_TIMEOUT_S); it was not stored.`);
      }
      if (err instanceof ComputeAborted && err.reason === 'memory') {
        throw new AppException('PAYLOAD_TOO_LARGE', 'The file needs more memory to parse than this server allows per document; it was not stored.');
      }
      if (err instanceof ComputeAborted) throw new AppException('UNAVAILABLE', 'The server is shutting down; send the file again.');
      if (err instanceof AppException) throw err;
      // A parser library failing in a way our parsers did not map is still a file it cannot read, not a server fault.
      this.logger.warn({ err, file_name: fileName }, 'parser failed unexpectedly');
      throw AppException.validation(`${(fileName.split(/[\\/]/).pop() || 'The file').slice(0, 200)} could not be parsed; it was not stored.`);
    }
  }

  async encode(text: string, signal?: AbortSignal): Promise<number[]> {
    const r = (await this.run({ op: 'encode', text }, signal)) as Extract<ComputeResult, { op: 'encode' }>;
    return Array.from(r.tokens);
  }

  async embed(texts: string[], dim: number, model: string, signal?: AbortSignal): Promise<{ vectors: number[][]; inputTokens: number }> {
    const r = (await this.run({ op: 'embed', texts, dim, model }, signal)) as Extract<ComputeResult, { op: 'embed' }>;
    return { vectors: r.vectors, inputTokens: r.inputTokens };
  }

  async extract(text: string, signal?: AbortSignal): Promise<{ result: ExtractionResult; inputTokens: number }> {
    const r = (await this.run({ op: 'extract', text }, signal)) as Extract<ComputeResult, { op: 'extract' }>;
    return { result: r.result, inputTokens: r.inputTokens };
  }

  private async run(task: ComputeTask, signal?: AbortSignal): Promise<ComputeResult> {
    if (signal?.aborted) throw new ComputeAborted('budget', 'The time budget ran out.');
    let r: ComputeResult | ComputeFailure;
    try {
      r = await this.piscina.run(task, { signal: signal ?? null });
    } catch (err) {
      if (signal?.aborted) throw new ComputeAborted('budget', 'The time budget ran out.');
      if ((err as { code?: string })?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
        throw new ComputeAborted('memory', `A compute task needed more than COMPUTE_THREAD_MEMORY_MB (${this.config.settings.computeThreadMemoryMb} MB).`);
      }
      if ((err as Error)?.message?.includes('Task queue is at limit')) throw new AppException('UNAVAILABLE', 'The server is busy processing documents; retry shortly.');
      throw err;
    }
    if (r.op === 'failure') throw new AppException(r.code, r.message, r.details);
    return r;
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    const pool = this.pool;
    this.pool = null;
    if (pool) await pool.destroy().catch((err: unknown) => this.logger.warn({ err }, 'compute pool did not close cleanly'));
  }
}
