import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { isDatabaseUnavailable } from '../../common/error-mapping';
import { OutageLog } from '../../common/outage-log';
import { AppConfig } from '../../config/app-config';
import { DatabaseService } from '../../database/database.service';
import { EngineMetrics } from '../ports';
import { PlannerStatistics } from '../storage/planner-statistics';
import { IngestionService, JobOutcome } from './ingestion.service';
import { JobQueueRepository, JobRow } from './job-queue.repository';

const DEPTH_EVERY_MS = 5_000;
/** While the database is unreachable a loop retries at most this often (or every WORKER_POLL_MS if longer). */
const OUTAGE_RETRY_MS = 1_000;

/**
 * WORKER_CONCURRENCY polling loops per process (0 = this process only serves
 * HTTP). Each loop claims one job at a time from the PostgreSQL queue, so any
 * number of replicas can run workers; on shutdown the loops stop claiming and
 * the jobs in flight are finished before the database closes.
 *
 * While the database is unreachable the loops keep polling (at most once a
 * second), log the outage once (OutageLog) and resume by themselves. A job
 * whose attempt ended in the outage — its failure could not even be
 * recorded, so it still reads `running`, locked by this worker — is
 * returned to the queue as soon as the database answers again (release:
 * the attempt is not counted), rather than waiting JOB_LOCK_TIMEOUT_MS for
 * reclaimStale; its retry clears what the attempt staged, so the document
 * ends processed once.
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
  private readonly outage = new OutageLog(this.logger, 'ingestion worker');
  /** Jobs whose attempt this process gave up in a database outage, to hand back to the queue. */
  private readonly orphans = new Map<string, { job: JobRow; workerId: string }>();

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
    await this.releaseOrphans();
    await this.reclaimStaleIfDue();
    const job = await this.db.withPlatform((db) => this.queue.claim(db, workerId));
    if (!job) return null;
    const beat = setInterval(() => {
      void this.db.withPlatform((db) => this.queue.heartbeat(db, job.id, workerId)).catch(() => undefined);
    }, this.heartbeatMs);
    beat.unref();
    try {
      let outcome: JobOutcome;
      try {
        outcome = await this.ingestion.process(job, workerId);
      } catch (err) {
        // process() records every failure itself; it throws only when even that failed.
        if (isDatabaseUnavailable(err)) this.orphans.set(job.id, { job, workerId });
        throw err;
      }
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

  /** Hands the jobs given up in an outage back to the queue (throws while the database is still down). */
  private async releaseOrphans(): Promise<void> {
    for (const [id, { job, workerId }] of [...this.orphans]) {
      const released = await this.db.withPlatform((db) => this.queue.release(db, id, workerId, 'the database was unavailable during this attempt'));
      this.orphans.delete(id);
      if (released)
        this.logger.warn({ document_id: job.document_id, tenant_id: job.tenant_id, kb_id: job.kb_id }, 'returned a job interrupted by the database outage to the queue');
    }
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
      let unavailable = false;
      try {
        worked = (await this.processNext()) !== null;
        this.outage.recovered();
      } catch (err) {
        if (this.stopping) break;
        unavailable = isDatabaseUnavailable(err);
        if (unavailable) this.outage.failed(err, { slot });
        else this.logger.error({ err, slot }, 'ingestion loop error');
      }
      if (!worked && !this.stopping) await this.sleep(unavailable ? Math.max(poll, OUTAGE_RETRY_MS) : poll);
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
