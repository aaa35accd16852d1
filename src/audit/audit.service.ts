import { BeforeApplicationShutdown, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { SecretsService } from '../auth/secrets.service';
import { SecurityEvent, SecurityEvents } from '../context/security-events';
import { AppConfig } from '../config/app-config';
import { DatabaseService } from '../database/database.service';
import { OutageLog } from '../common/outage-log';
import { MetricsService } from '../metrics/metrics.service';
import { AuditRow, ChainsSource, ExpectedHead, openCutover, VerifyAllResult, verifyAllChains, verifyChain, VerifyResult } from './audit-chain';
import { AuditEntry, AuditFilter, AuditRepository, chainName, chainOf } from './audit.repository';
import { VERIFY_PAGE_ROWS, VerifyScheduler } from './verify-scheduler';

const FLUSH_EVERY_MS = 1000;
const FLUSH_AT = 100;
/** Beyond this many unwritten entries (database down for long) the oldest are dropped, loudly. */
const MAX_BUFFER = 50_000;
const RETENTION_EVERY_MS = 6 * 3600_000;
/**
 * Failed authentication and denials: per client IP, action, reason, tenant
 * and actor, the first AUTH_EVENTS_PER_WINDOW of a window are written one by
 * one; the rest are counted and written as one entry with details.count when
 * the window closes. Past AUTH_EVENTS_GLOBAL individual entries per window in
 * all, or MAX_AUTH_WINDOWS open windows, every further event is only counted
 * (in one overflow window per action), so a flood writes a bounded number of rows.
 */
export const AUTH_EVENTS_PER_WINDOW = 10;
const AUTH_EVENTS_GLOBAL = 600;
const AUTH_WINDOW_MS = 60_000;
const MAX_AUTH_WINDOWS = 10_000;
/** The scheduler's key for the platform-wide walk of every chain (GET /audit/verify); tenant chains are keyed by tenant id. */
const PLATFORM_WALK = 'all-chains';

interface AuthWindow {
  startedAt: number;
  template: AuditEntry;
  suppressed: number;
  count: number;
}

export interface AuditLogDto {
  id: string;
  seq: string;
  action: string;
  actor: string;
  resource_id: string | null;
  outcome: string;
  http_status: number | null;
  request_id: string | null;
  kb_id: string | null;
  client_ip: string | null;
  details: Record<string, unknown>;
  created_at: string;
}

/** Connection-level failures (retry later) as opposed to a row the database refuses (SQLSTATE class 22/23). */
function sqlState(err: unknown): string | undefined {
  return (err as { driverError?: { code?: string } })?.driverError?.code ?? (err as { code?: string })?.code;
}

function isOutage(err: unknown): boolean {
  const code = sqlState(err);
  return !(typeof code === 'string' && /^(22|23|42)/.test(code));
}

export function toAuditLogDto(r: AuditRow): AuditLogDto {
  return {
    id: r.id,
    seq: String(r.seq),
    action: r.action,
    actor: r.actor,
    resource_id: r.resource_id,
    outcome: r.outcome,
    http_status: r.http_status,
    request_id: r.request_id,
    kb_id: r.kb_id,
    client_ip: r.client_ip,
    details: r.details,
    created_at: new Date(r.created_at).toISOString(),
  };
}

/**
 * The tamper-evident audit log. Requests only push to an in-memory buffer (no
 * database round trip on the hot path); one writer per process flushes it
 * every second or every FLUSH_AT entries, and on shutdown, through the
 * platform role; a state change writes its own chain's queued entries at once
 * (flushChain); the chain lock orders writers within and across replicas.
 */
@Injectable()
export class AuditService implements OnModuleInit, OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger(AuditService.name);
  /** A database outage is logged once (then every 30 s), not on every 1 s flush. */
  private readonly outage = new OutageLog(this.logger, 'audit flush');
  private buffer: AuditEntry[] = [];
  private timer?: NodeJS.Timeout;
  private retentionTimer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();
  private sealed?: Promise<void>;
  private readonly authWindows = new Map<string, AuthWindow>();
  private authGlobal = { startedAt: 0, written: 0 };
  /** Chain walks: one per chain at a time, page reads in turn. */
  readonly verifier = new VerifyScheduler();

  constructor(
    private readonly db: DatabaseService,
    private readonly repo: AuditRepository,
    private readonly config: AppConfig,
    private readonly metrics: MetricsService,
    private readonly secrets: SecretsService,
    securityEvents: SecurityEvents,
  ) {
    securityEvents.subscribe((e) => this.onSecurityEvent(e));
  }

  get enabled(): boolean {
    return this.config.settings.enableAuditLogging;
  }

  onModuleInit(): void {
    if (!this.enabled) return;
    this.timer = setInterval(() => {
      this.closeAuthWindows(Date.now());
      void this.flush();
    }, FLUSH_EVERY_MS);
    this.timer.unref();
    const retention = () => void this.applyRetention().catch((err) => this.logger.warn({ err }, 'audit retention failed'));
    this.retentionTimer = setInterval(retention, RETENTION_EVERY_MS);
    this.retentionTimer.unref();
    setTimeout(retention, 30_000).unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    this.closeAuthWindows();
    await this.flush();
  }

  beforeApplicationShutdown(): Promise<void> {
    this.closeAuthWindows();
    return this.flush();
  }

  private get key(): Buffer {
    if (!this.secrets.auditChainKey) throw new Error('the audit chain key is not ready');
    return this.secrets.auditChainKey;
  }

  /** Queues one entry; never throws, never waits. */
  record(entry: Omit<AuditEntry, 'createdAt'> & { createdAt?: Date }): void {
    if (!this.enabled) return;
    this.buffer.push({ ...entry, createdAt: entry.createdAt ?? new Date() });
    if (this.buffer.length > MAX_BUFFER) {
      const dropped = this.buffer.splice(0, this.buffer.length - MAX_BUFFER);
      this.logger.error({ dropped: dropped.length }, 'audit buffer overflow: oldest entries dropped');
    }
    this.metrics.auditBacklog.set(this.buffer.length);
    if (this.buffer.length >= FLUSH_AT) void this.flush();
  }

  /** Writes everything queued so far; resolves when it is in the database. */
  flush(): Promise<void> {
    this.writing = this.writing.then(() => this.writeBuffered());
    return this.writing;
  }

  /**
   * Writes the queued entries of `tenantId`'s chain (the platform's for null)
   * now, in the order they were queued, without waiting for the rest of the
   * buffer: a state change's entry is in the database before its response
   * leaves, and another tenant's batched query entries (or a flush in
   * progress) do not delay it. Resolves when written, or when the database
   * could not take them (they stay queued for the next flush).
   */
  async flushChain(tenantId: string | null): Promise<void> {
    const chain = chainOf({ tenantId });
    const mine: AuditEntry[] = [];
    const rest: AuditEntry[] = [];
    for (const e of this.buffer) (chainOf(e) === chain ? mine : rest).push(e);
    if (!mine.length) return;
    this.buffer = rest;
    try {
      await this.sealLegacyOnce();
      if (await this.writeBatch(mine)) this.outage.recovered();
    } catch (err) {
      this.sealed = undefined;
      this.buffer.unshift(...mine);
      if (isOutage(err)) this.outage.failed(err, { pending: this.buffer.length });
      else this.logger.warn({ err: (err as Error).message }, 'audit flush failed; will retry');
    } finally {
      this.metrics.auditBacklog.set(this.buffer.length);
    }
  }

  /** Before the first keyed row: seal the unkeyed rows of an upgraded installation (once). */
  private sealLegacyOnce(): Promise<void> {
    return (this.sealed ??= this.db
      .withPlatform((db) => this.repo.sealLegacy(db, this.key))
      .then((done) => {
        if (done) this.logger.log('audit: sealed the unkeyed chain heads; new entries are keyed (HMAC-SHA256)');
      }));
  }

  private async writeBuffered(): Promise<void> {
    if (!this.buffer.length) return;
    try {
      await this.sealLegacyOnce();
      if (await this.writeAll()) this.outage.recovered();
    } catch (err) {
      this.sealed = undefined;
      if (isOutage(err)) this.outage.failed(err, { pending: this.buffer.length });
      else this.logger.warn({ err: (err as Error).message }, 'audit flush failed; will retry');
    } finally {
      this.metrics.auditBacklog.set(this.buffer.length);
    }
  }

  /** Writes the buffer out; false when the database is unreachable (the rest stays buffered). */
  private async writeAll(): Promise<boolean> {
    while (this.buffer.length) if (!(await this.writeBatch(this.buffer.splice(0, 500)))) return false;
    return true;
  }

  /** Writes one batch taken from the buffer; false when the database is unreachable (the batch is queued again, first). */
  private async writeBatch(batch: AuditEntry[]): Promise<boolean> {
    try {
      await this.db.withPlatform((db) => this.repo.appendBatch(db, this.key, batch));
    } catch (err) {
      if (isOutage(err)) {
        // Keep them for the next attempt (the database may be restarting).
        this.buffer.unshift(...batch);
        this.outage.failed(err, { pending: this.buffer.length });
        return false;
      }
      // A row the database refuses must not block every later entry: write one by one, drop only the refused.
      for (const entry of batch) {
        try {
          await this.db.withPlatform((db) => this.repo.appendBatch(db, this.key, [entry]));
        } catch (one) {
          // The tenant is gone (purged) or never existed: keep the entry in the platform chain.
          if (entry.tenantId && sqlState(one) === '23503') {
            const moved = { ...entry, tenantId: null, kbId: null, details: { ...entry.details, tenant_id: entry.tenantId, kb_id: entry.kbId } };
            if (
              await this.db
                .withPlatform((db) => this.repo.appendBatch(db, this.key, [moved]))
                .then(
                  () => true,
                  () => false,
                )
            )
              continue;
          }
          this.logger.error({ err: (one as Error).message, action: entry.action, request_id: entry.requestId }, 'audit entry refused by the database; dropped');
        }
      }
    }
    return true;
  }

  async list(tenantId: string, filter: AuditFilter): Promise<{ rows: AuditLogDto[]; total: number }> {
    await this.flush();
    const { rows, total } = await this.db.withTenant(tenantId, (db) => this.repo.listForTenant(db, tenantId, filter));
    return { rows: rows.map(toAuditLogDto), total };
  }

  /**
   * Verifies every chain (the platform's, then each tenant's) under the chain
   * key, returns each chain's head and row count, and checks `expected` heads
   * recorded earlier outside the database for truncation.
   */
  async verify(expected?: ExpectedHead[]): Promise<VerifyAllResult> {
    // With recorded heads the walk has inputs of its own: nobody joins it (its page reads still take their turn).
    const walk = async () => {
      await this.flush();
      const key = this.key;
      const legacy = openCutover(key, await this.db.withPlatform((db) => this.repo.cutover(db)));
      return verifyAllChains(this.chainsSource(PLATFORM_WALK), { key, legacy }, expected);
    };
    return expected ? walk() : this.verifier.walk(PLATFORM_WALK, walk);
  }

  /**
   * Verifies one tenant's chain only (GET /tenants/:id/audit-logs/verify):
   * its queued entries are written first, then its rows are walked in seq
   * order under the chain key, exactly as the platform-wide verify walks each
   * chain. Read on the platform connection because a retention cut of the
   * chain is recorded in the platform chain; nothing but this tenant's rows
   * and whether such a record exists leaves it. One walk per chain at a time
   * (concurrent callers join a queued one) and page reads in turn with other
   * walks: VerifyScheduler.
   */
  async verifyTenant(tenantId: string): Promise<VerifyResult & { chain: string }> {
    return this.verifier.walk(tenantId, async () => {
      await this.flushChain(tenantId);
      const key = this.key;
      const legacy = openCutover(key, await this.db.withPlatform((db) => this.repo.cutover(db)));
      const source = this.chainsSource(tenantId);
      const r = await verifyChain(
        { page: (after, limit) => source.page(tenantId, after, limit), retentionExplains: (seq, prev) => source.retentionExplains(tenantId, seq, prev) },
        { key, legacy, chain: tenantId },
      );
      return { ...r, chain: tenantId };
    });
  }

  /**
   * The audit table as the chain walks read it, on the platform connection:
   * each page read in turn (VerifyScheduler.page) and at most
   * VERIFY_PAGE_ROWS rows (a walk reads on until a page comes back empty).
   */
  private chainsSource(walk: string): ChainsSource {
    const source = this.repo.source((work) => this.db.withPlatform(work));
    return { ...source, page: (chain, after, limit) => this.verifier.page(walk, () => source.page(chain, after, Math.min(limit, VERIFY_PAGE_ROWS))) };
  }

  /**
   * AUDIT_LOG_RETENTION_DAYS: the only deletion besides a tenant purge. Runs
   * on the owner's connection (the app roles hold no DELETE grant) and, in the
   * same transaction, appends one `audit.retention` entry per cut chain to the
   * platform chain, recording where that chain now starts, so verification
   * accepts the cut and nothing else.
   */
  async applyRetention(now = new Date()): Promise<{ deleted: number } | null> {
    await this.flush();
    const days = this.config.settings.auditLogRetentionDays;
    const cutoff = new Date(now.getTime() - days * 86400_000);
    const key = this.key;
    const result = await this.db.withPlatform(async (db) => {
      const cuts = await this.repo.deletePrefixesOlderThan(db, cutoff);
      if (!cuts.length) return null;
      await this.repo.appendBatch(
        db,
        key,
        cuts.map((cut) => ({
          tenantId: null,
          kbId: null,
          actor: 'system:retention',
          action: 'audit.retention',
          resourceId: chainName(cut.chain),
          outcome: 'success' as const,
          httpStatus: null,
          requestId: null,
          clientIp: null,
          details: {
            chain: chainName(cut.chain),
            deleted: cut.deleted,
            cutoff: cutoff.toISOString(),
            retention_days: days,
            kept_from_seq: cut.keptFromSeq,
            kept_from_prev_hash: cut.keptFromPrevHash,
          },
          createdAt: new Date(),
        })),
      );
      return { deleted: cuts.reduce((n, c) => n + c.deleted, 0) };
    });
    if (result) this.logger.log(`audit retention removed ${result.deleted} entries older than ${cutoff.toISOString()}`);
    return result;
  }

  private onSecurityEvent(e: SecurityEvent): void {
    // A failed login is recorded by the auth.login route itself.
    if (e.type === 'auth_failed' && e.reason === 'bad_password') return;
    if (!this.enabled) return;
    const entry: AuditEntry = {
      tenantId: e.type === 'denied' ? (e.tenantId ?? null) : null,
      kbId: e.type === 'denied' ? (e.kbId ?? null) : null,
      actor: e.principal ?? 'anonymous',
      action: e.type === 'denied' ? 'auth.denied' : 'auth.failed',
      resourceId: null,
      outcome: e.type === 'denied' ? 'denied' : 'failed',
      httpStatus: e.type === 'denied' ? 403 : 401,
      requestId: e.requestId ?? null,
      clientIp: e.ip ?? null,
      details: { reason: e.reason, ...(e.method ? { method: e.method } : {}), ...(e.route ? { route: e.route } : {}) },
      createdAt: new Date(),
    };
    this.throttleAuthEvent(entry, Date.now());
  }

  /** See AUTH_EVENTS_PER_WINDOW: write the first few of a window, count the rest. */
  private throttleAuthEvent(entry: AuditEntry, now: number): void {
    if (now - this.authGlobal.startedAt >= AUTH_WINDOW_MS) this.authGlobal = { startedAt: now, written: 0 };
    let key = [entry.action, entry.clientIp, entry.details.reason, entry.tenantId, entry.actor].join('|');
    let w = this.authWindows.get(key);
    if (w && now - w.startedAt >= AUTH_WINDOW_MS) {
      this.closeAuthWindow(key, w, now);
      w = undefined;
    }
    if (!w && this.authWindows.size >= MAX_AUTH_WINDOWS) key = `overflow|${entry.action}`;
    w ??= this.authWindows.get(key);
    if (!w) {
      const template = key.startsWith('overflow|') ? { ...entry, clientIp: null, tenantId: null, kbId: null, actor: 'anonymous', details: { reason: 'many' } } : entry;
      w = { startedAt: now, template, suppressed: 0, count: 0 };
      this.authWindows.set(key, w);
    }
    w.count++;
    if (w.count <= AUTH_EVENTS_PER_WINDOW && !key.startsWith('overflow|') && this.authGlobal.written < AUTH_EVENTS_GLOBAL) {
      this.authGlobal.written++;
      this.record(entry);
    } else {
      w.suppressed++;
    }
  }

  private closeAuthWindow(key: string, w: AuthWindow, now: number): void {
    this.authWindows.delete(key);
    if (!w.suppressed) return;
    this.record({
      ...w.template,
      requestId: null,
      createdAt: new Date(now),
      details: { ...w.template.details, count: w.suppressed, aggregated: true, window_start: new Date(w.startedAt).toISOString(), window_end: new Date(now).toISOString() },
    });
  }

  /**
   * Writes the aggregate entry of every window that has ended (`now` given),
   * or of every open window (at shutdown, and for tests).
   */
  closeAuthWindows(now?: number): void {
    const at = now ?? Date.now();
    for (const [key, w] of [...this.authWindows]) if (now === undefined || at - w.startedAt >= AUTH_WINDOW_MS) this.closeAuthWindow(key, w, at);
  }
}
