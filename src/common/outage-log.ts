import type { Logger } from '@nestjs/common';

/** How often a continuing outage is logged again (with the count of failures in between). */
export const OUTAGE_LOG_EVERY_MS = 30_000;

/**
 * The log of one background loop (job polling, audit and usage flushes, API
 * key last-use writes) while the database is unreachable: one warning when
 * the outage starts, then at most one per OUTAGE_LOG_EVERY_MS with the number
 * of failed attempts since the last, and one line when the loop succeeds
 * again — instead of a line per attempt (a 50 ms poll is 20 lines a second).
 */
export class OutageLog {
  private since: number | null = null;
  private lastLoggedAt = 0;
  private failures = 0;

  constructor(
    private readonly logger: Pick<Logger, 'warn' | 'log'>,
    private readonly what: string,
    private readonly everyMs = OUTAGE_LOG_EVERY_MS,
  ) {}

  get down(): boolean {
    return this.since !== null;
  }

  failed(err: unknown, fields: Record<string, unknown> = {}, now = Date.now()): void {
    this.failures++;
    const error = (err as Error)?.message ?? String(err);
    if (this.since === null) {
      this.since = now;
      this.lastLoggedAt = now;
      this.failures = 0;
      this.logger.warn({ err: error, ...fields }, `${this.what}: the database is unavailable; retrying (logged again every ${Math.round(this.everyMs / 1000)} s while it lasts)`);
      return;
    }
    if (now - this.lastLoggedAt < this.everyMs) return;
    this.logger.warn(
      { err: error, failed_attempts: this.failures, down_s: Math.round((now - this.since) / 1000), ...fields },
      `${this.what}: the database is still unavailable; retrying`,
    );
    this.lastLoggedAt = now;
    this.failures = 0;
  }

  /** The loop worked: ends the outage (logged once) if there was one. */
  recovered(now = Date.now()): void {
    if (this.since === null) return;
    this.logger.log({ down_ms: now - this.since }, `${this.what}: the database is reachable again; resumed`);
    this.since = null;
    this.failures = 0;
  }
}
