import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import Piscina from 'piscina';
import { AppException } from '../common/app-exception';
import { FairSemaphore, SemaphoreQueueFull } from '../common/fair-semaphore';
import { AppConfig } from '../config/app-config';
import { isComputeFailure } from './compute-task';

/** Tasks that may wait per compute thread (at least 64 in all). */
const QUEUED_PER_THREAD = 32;

/** The 503 of a full queue of compute work. */
const busy = () => new AppException('UNAVAILABLE', 'The server is busy processing documents; retry shortly.');
const budgetOver = () => new ComputeAborted('budget', 'The time budget ran out.');

/**
 * A slot of `slots` for `owner` (its turn among the tenants waiting), within
 * the caller's budget: a full queue is 503 UNAVAILABLE, a budget that ends
 * while waiting is ComputeAborted('budget'). The release function is returned.
 */
export async function admitWithin(slots: FairSemaphore, owner: string, signal?: AbortSignal): Promise<() => void> {
  if (signal?.aborted) throw budgetOver();
  try {
    return await slots.acquire(owner, signal);
  } catch (err) {
    if (err instanceof SemaphoreQueueFull) throw busy();
    if (signal?.aborted) throw budgetOver();
    throw err;
  }
}

/** The repository root, from this file (src/compute/ under ts-jest/swc, dist/src/compute/ compiled). */
const ROOT = __filename.endsWith('.ts') ? join(__dirname, '../..') : join(__dirname, '../../..');

/**
 * The compiled worker file `name` (without extension) that sits next to
 * `callerFile` (its caller's __filename). Under ts-jest/swc the caller runs
 * from src/ as TypeScript, which a worker thread cannot load: the compiled
 * copy in dist/ is used (`npm test` builds first).
 */
export function workerFileNextTo(callerFile: string, name: string): string {
  const dir = dirname(callerFile);
  const compiled = callerFile.endsWith('.ts') ? join(ROOT, 'dist', relative(ROOT, dir), `${name}.js`) : join(dir, `${name}.js`);
  if (!existsSync(compiled)) throw new Error(`compute worker ${compiled} is missing: run "npm run build" first`);
  return compiled;
}

/** Why a task stopped before finishing: its caller's budget ran out, or the pool is closing. */
export class ComputeAborted extends Error {
  constructor(
    readonly reason: 'budget' | 'shutdown' | 'memory',
    message: string,
  ) {
    super(message);
    this.name = 'ComputeAborted';
  }
}

/**
 * Worker threads (piscina) for CPU-heavy work, so none runs on the thread
 * that answers requests. The pool knows no task: each caller names the
 * worker file that runs its tasks (`workerFileNextTo`; a file's default
 * export wrapped by `computeTask`) — documents parse uploads
 * (documents/parsers/parse.worker.ts), the engine tokenises, embeds and
 * extracts (rag/compute/rag-compute.worker.ts).
 * - COMPUTE_THREADS threads (default 2) shared by every worker file and
 *   every tenant. A task waits for a thread in a bounded queue kept per
 *   tenant (FairSemaphore): a freed thread goes to the waiting tenants in
 *   turn, so one tenant's burst of uploads or long queries does not make
 *   another tenant's task wait behind all of it (nor run out its own time
 *   budget there). Piscina itself only ever gets as many tasks as it has
 *   threads.
 * - Each thread's V8 heap is capped (COMPUTE_THREAD_MEMORY_MB): a task that
 *   needs more fails (the thread is replaced), the server does not grow.
 * - A task takes an AbortSignal: when its caller's time budget ends, piscina
 *   terminates the thread running it (even in the middle of a tight loop)
 *   and starts a fresh one.
 */
@Injectable()
export class ComputePool implements OnApplicationShutdown {
  private readonly logger = new Logger(ComputePool.name);
  private pool: Piscina | null = null;
  private closed = false;
  private fair: FairSemaphore | null = null;

  constructor(private readonly config: AppConfig) {}

  private get piscina(): Piscina {
    if (this.closed) throw new ComputeAborted('shutdown', 'The server is shutting down.');
    if (!this.pool) {
      const s = this.config.settings;
      this.pool = new Piscina({
        minThreads: 0,
        maxThreads: s.computeThreads,
        idleTimeout: 30_000,
        // Tasks wait in `slots` (per tenant, in turn): piscina's own queue only holds a task while its thread starts.
        maxQueue: this.maxWaiting,
        resourceLimits: { maxOldGenerationSizeMb: s.computeThreadMemoryMb },
        // The parent's --max-old-space-size etc. must not leak into the threads' own limits.
        execArgv: [],
      });
    }
    return this.pool;
  }

  /** Tasks that may wait for a thread, all tenants together: past it a task is refused with 503. */
  get maxWaiting(): number {
    return Math.max(64, this.config.settings.computeThreads * QUEUED_PER_THREAD);
  }

  /** One slot per thread, handed to the waiting tenants in turn. */
  private get slots(): FairSemaphore {
    const threads = this.config.settings.computeThreads;
    return (this.fair ??= new FairSemaphore(threads, threads, this.maxWaiting));
  }

  /**
   * Runs `task` in a thread with the worker file's default export, for
   * `owner` (the tenant; its turn among the tenants waiting for a thread).
   * An AppException thrown there is thrown here; the caller's budget running
   * out (signal, while waiting or running), the pool closing, or the
   * thread's heap cap end it with ComputeAborted; a full queue is 503 UNAVAILABLE.
   */
  async run<T, R>(workerFile: string, task: T, signal?: AbortSignal, owner = ''): Promise<R> {
    const release = await admitWithin(this.slots, owner, signal);
    let r: unknown;
    try {
      r = await this.piscina.run(task, { filename: workerFile, signal: signal ?? null });
    } catch (err) {
      if (signal?.aborted) throw budgetOver();
      if ((err as { code?: string })?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
        throw new ComputeAborted('memory', `A compute task needed more than COMPUTE_THREAD_MEMORY_MB (${this.config.settings.computeThreadMemoryMb} MB).`);
      }
      if ((err as Error)?.message?.includes('Task queue is at limit')) throw busy();
      throw err;
    } finally {
      release();
    }
    if (isComputeFailure(r)) throw new AppException(r.computeFailure.code, r.computeFailure.message, r.computeFailure.details);
    return r as R;
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    const pool = this.pool;
    this.pool = null;
    if (pool) await pool.destroy().catch((err: unknown) => this.logger.warn({ err }, 'compute pool did not close cleanly'));
  }
}
