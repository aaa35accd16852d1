import { BeforeApplicationShutdown, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { SecurityEvent, SecurityEvents } from '../auth/security-events';
import { AppConfig } from '../config/app-config';
import { DatabaseService } from '../database/database.service';
import { MetricsService } from '../metrics/metrics.service';
import { AuditRow, VerifyResult, verifyAllChains } from './audit-chain';
import { AuditEntry, AuditFilter, AuditRepository, chainName } from './audit.repository';

const FLUSH_EVERY_MS = 1000;
const FLUSH_AT = 100;
/** Beyond this many unwritten entries (database down for long) the oldest are dropped, loudly. */
const MAX_BUFFER = 50_000;
const RETENTION_EVERY_MS = 6 * 3600_000;

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
 * platform role; the chain lock orders writers across replicas.
 */
@Injectable()
export class AuditService implements OnModuleInit, OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger(AuditService.name);
  private buffer: AuditEntry[] = [];
  private timer?: NodeJS.Timeout;
  private retentionTimer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: DatabaseService,
    private readonly repo: AuditRepository,
    private readonly config: AppConfig,
    private readonly metrics: MetricsService,
    securityEvents: SecurityEvents,
  ) {
    securityEvents.subscribe((e) => this.onSecurityEvent(e));
  }

  get enabled(): boolean {
    return this.config.settings.enableAuditLogging;
  }

  onModuleInit(): void {
    if (!this.enabled) return;
    this.timer = setInterval(() => void this.flush(), FLUSH_EVERY_MS);
    this.timer.unref();
    const retention = () => void this.applyRetention().catch((err) => this.logger.warn({ err }, 'audit retention failed'));
    this.retentionTimer = setInterval(retention, RETENTION_EVERY_MS);
    this.retentionTimer.unref();
    setTimeout(retention, 30_000).unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    await this.flush();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.flush();
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

  private async writeBuffered(): Promise<void> {
    try {
      await this.writeAll();
    } finally {
      this.metrics.auditBacklog.set(this.buffer.length);
    }
  }

  private async writeAll(): Promise<void> {
    while (this.buffer.length) {
      const batch = this.buffer.splice(0, 500);
      try {
        await this.db.withPlatform((db) => this.repo.appendBatch(db, batch));
      } catch (err) {
        if (isOutage(err)) {
          // Keep them for the next attempt (the database may be restarting).
          this.buffer.unshift(...batch);
          this.logger.warn({ err: (err as Error).message, pending: this.buffer.length }, 'audit flush failed; will retry');
          return;
        }
        // A row the database refuses must not block every later entry: write one by one, drop only the refused.
        for (const entry of batch) {
          try {
            await this.db.withPlatform((db) => this.repo.appendBatch(db, [entry]));
          } catch (one) {
            // The tenant is gone (purged) or never existed: keep the entry in the platform chain.
            if (entry.tenantId && sqlState(one) === '23503') {
              const moved = { ...entry, tenantId: null, kbId: null, details: { ...entry.details, tenant_id: entry.tenantId, kb_id: entry.kbId } };
              if (await this.db.withPlatform((db) => this.repo.appendBatch(db, [moved])).then(() => true, () => false)) continue;
            }
            this.logger.error({ err: (one as Error).message, action: entry.action, request_id: entry.requestId }, 'audit entry refused by the database; dropped');
          }
        }
      }
    }
  }

  async list(tenantId: string, filter: AuditFilter): Promise<{ rows: AuditLogDto[]; total: number }> {
    await this.flush();
    const { rows, total } = await this.db.withTenant(tenantId, (db) => this.repo.listForTenant(db, tenantId, filter));
    return { rows: rows.map(toAuditLogDto), total };
  }

  /** Verifies every chain (the platform's, then each tenant's); stops at the first broken row. */
  async verify(): Promise<VerifyResult> {
    await this.flush();
    return verifyAllChains({
      chains: () => this.db.withPlatform((db) => this.repo.chains(db)),
      page: (chain, after, limit) => this.db.withPlatform((db) => this.repo.page(db, chain, after, limit)),
      retentionExplains: (chain, seq, prev) => this.db.withPlatform((db) => this.repo.retentionExplains(db, chain, seq, prev)),
    });
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
    const result = await this.db.dataSource.transaction(async (manager) => {
      const cuts = await this.repo.deletePrefixesOlderThan(manager, cutoff);
      if (!cuts.length) return null;
      await manager.query(`SELECT set_config('role', 'strata_platform', true)`);
      await this.repo.appendBatch(
        manager,
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
          details: { chain: chainName(cut.chain), deleted: cut.deleted, cutoff: cutoff.toISOString(), retention_days: days, kept_from_seq: cut.keptFromSeq, kept_from_prev_hash: cut.keptFromPrevHash },
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
    this.record({
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
    });
  }
}
