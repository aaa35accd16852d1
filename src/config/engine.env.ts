import type { Settings } from './settings';
import { Env, IsIntegerEnv, parseNumber } from './env.decorators';

/** The RAG engine: its per-KB instance cache and the ingestion workers. */
export class EngineEnv {
  @Env() @IsIntegerEnv(1, 100000) MAX_CACHED_INSTANCES?: string;
  @Env() @IsIntegerEnv(0, 64) WORKER_CONCURRENCY?: string;
  @Env() @IsIntegerEnv(10, 60000) WORKER_POLL_MS?: string;
  /** Longest one ingestion job may run, in seconds; past it the document fails for good. */
  @Env() @IsIntegerEnv(1, 86400) JOB_TIME_BUDGET_S?: string;
  /** A running job whose worker has not sent a heartbeat for this long (seconds) is presumed dead and goes back to the queue. */
  @Env() @IsIntegerEnv(2, 3600) JOB_LOCK_TIMEOUT_S?: string;
  /** Attempts an ingestion job gets (the first included) before its document is `failed`. */
  @Env() @IsIntegerEnv(1, 100) JOB_MAX_ATTEMPTS?: string;
  /** First wait before a failed job runs again, in ms; doubled at each attempt, ×0.75–1.25 jitter. */
  @Env() @IsIntegerEnv(10, 3600000) JOB_RETRY_BASE_MS?: string;

  toSettings(): Pick<Settings, 'maxCachedInstances' | 'workerConcurrency' | 'workerPollMs' | 'jobTimeBudgetMs' | 'jobLockTimeoutMs' | 'jobMaxAttempts' | 'jobRetryBaseMs'> {
    return {
      maxCachedInstances: parseNumber(this.MAX_CACHED_INSTANCES, 100),
      workerConcurrency: parseNumber(this.WORKER_CONCURRENCY, 2),
      workerPollMs: parseNumber(this.WORKER_POLL_MS, 500),
      jobTimeBudgetMs: parseNumber(this.JOB_TIME_BUDGET_S, 1800) * 1000,
      jobLockTimeoutMs: parseNumber(this.JOB_LOCK_TIMEOUT_S, 120) * 1000,
      jobMaxAttempts: parseNumber(this.JOB_MAX_ATTEMPTS, 5),
      jobRetryBaseMs: parseNumber(this.JOB_RETRY_BASE_MS, 2000),
    };
  }
}
