import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { AppConfig } from '../../config/app-config';
import { DatabaseService } from '../../database/database.service';
import { EngineMetrics } from '../ports';
import { PlannerStatistics } from '../storage/planner-statistics';
import { IngestionService, JobOutcome } from './ingestion.service';
import { JobQueueRepository, JobRow } from './job-queue.repository';

const DEPTH_EVERY_MS = 5_000;

/**
 * WORKER_CONCURRENCY polling loops per process (0 = this process only serves
 * HTTP). Each loop claims one job at a time from the PostgreSQL queue, so any
 * number of replicas can run workers; on shutdown the loops stop claiming and
 * the jobs in flight are finished before the database closes.
 */
@Injectable()
export class IngestionWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(IngestionWorker.name);
  readonly workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private stopping = false;
  private loops: Promise<void>[] = [];
  private wake: Array<() => void> = [];
  private lastReclaim = 0;
  private lastDepth = 0;
  /** A running job whose lock is older than this (JOB_LOCK_TIMEOUT_S) is presumed dead and goes back to pending. */
  private readonly lockTimeoutMs: number;
  /** How often a running job's lock is refreshed: a quarter of the timeout (at most 20 s), so a live worker never loses it. */
  private readonly heartbeatMs: number;
  private readonly reclaimEveryMs: number;

  constructor(
    private readonly config: AppConfig,
    private readonly db: DatabaseService,
    private readonly queue: JobQueueRepository,
    private readonly ingestion: IngestionService,
    private readonly metrics: EngineMetrics,
    private readonly statistics: PlannerStatistics,
  ) {
    this.lockTimeoutMs = config.settings.jobLockTimeoutMs;
    this.heartbeatMs = Math.min(20_000, Math.floor(this.lockTimeoutMs / 4));
    this.reclaimEveryMs = Math.min(10_000, Math.floor(this.lockTimeoutMs / 2));
  }

  onApplicationBootstrap(): void {
    const n = this.config.settings.workerConcurrency;
    for (let i = 0; i < n; i++) this.loops.push(this.loop(i));
    if (n) this.logger.log(`ingestion worker ${this.workerId}: ${n} loop(s), polling every ${this.config.settings.workerPollMs} ms`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.notify();
    await Promise.allSettled(this.loops);
    await this.statistics.settled();
  }

  /** Wakes idle loops now (a document was just enqueued in this process). */
  notify(): void {
    const w = this.wake;
    this.wake = [];
    for (const f of w) f();
  }

  /**
   * One step of a loop: return stale jobs to the queue, claim the next job
   * fairly and run it. Public so tests (and WORKER_CONCURRENCY=0 tools) can
   * drive the queue deterministically. `workerId` lets a test play a worker
   * that then "dies".
   */
  async processNext(workerId = this.workerId): Promise<{ job: JobRow; outcome: JobOutcome } | null> {
    await this.reclaimStaleIfDue();
    const job = await this.db.withPlatform((db) => this.queue.claim(db, workerId));
    if (!job) return null;
    const beat = setInterval(() => {
      void this.db.withPlatform((db) => this.queue.heartbeat(db, job.id, workerId)).catch(() => undefined);
    }, this.heartbeatMs);
    beat.unref();
    try {
      const outcome = await this.ingestion.process(job, workerId);
      if (outcome === 'processed') this.statistics.changed();
      await this.db.checkpointIfDue().catch((err: unknown) => this.logger.warn({ err }, 'checkpoint failed'));
      return { job, outcome };
    } finally {
      clearInterval(beat);
    }
  }

  /** Claims a job without running it (a test plays a worker that dies right after claiming). */
  claimOnly(workerId: string): Promise<JobRow | null> {
    return this.db.withPlatform((db) => this.queue.claim(db, workerId));
  }

  async reclaimStale(lockTimeoutMs = this.lockTimeoutMs): Promise<number> {
    this.lastReclaim = Date.now();
    const n = await this.db.withPlatform((db) => this.queue.reclaimStale(db, lockTimeoutMs));
    if (n) this.logger.warn(`returned ${n} job(s) of unresponsive workers to the queue`);
    return n;
  }

  private async reclaimStaleIfDue(): Promise<void> {
    if (Date.now() - this.lastReclaim >= this.reclaimEveryMs) await this.reclaimStale();
    if (Date.now() - this.lastDepth >= DEPTH_EVERY_MS) {
      this.lastDepth = Date.now();
      const depth = await this.db.withPlatform((db) => this.queue.depth(db));
      this.metrics.queueDepth.set({ state: 'pending' }, depth.pending);
      this.metrics.queueDepth.set({ state: 'running' }, depth.running);
    }
  }

  private async loop(slot: number): Promise<void> {
    const poll = this.config.settings.workerPollMs;
    while (!this.stopping) {
      let worked = false;
      try {
        worked = (await this.processNext()) !== null;
      } catch (err) {
        if (this.stopping) break;
        this.logger.error({ err, slot }, 'ingestion loop error');
      }
      if (!worked && !this.stopping) await this.sleep(poll);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake.push(done);
    });
  }
}
