import { BeforeApplicationShutdown, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { AppException } from '../common/app-exception';
import { createCache, invalidateOn } from '../common/cache';
import { isDatabaseUnavailable } from '../common/error-mapping';
import { OutageLog } from '../common/outage-log';
import { TenantEvents } from '../context/tenant-events';
import { DatabaseService } from '../database/database.service';
import { MetricsService } from '../metrics/metrics.service';
import { ModelUsage, UsageSink } from '../rag/ports';
import { estimateCostUsd, priceOf } from './prices';
import { UsageReport, UsageRepository, UsageRow } from './usage.repository';

const FLUSH_EVERY_MS = 1000;
const FLUSH_AT = 200;
/** Beyond this many unwritten events (database down for long) the oldest are dropped, and the drop is logged. */
const MAX_BUFFER = 100_000;
/** How long a tenant's limits and month-to-date totals are served from memory (events recorded meanwhile are added to them). */
const LIMIT_CACHE_MS = 2000;
const LIMIT_CACHE_MAX = 10_000;
const WARNING_RATIO = 0.8;
const WARN_EVERY_MS = 600_000;

export interface LimitStatus {
  monthly_token_limit: number | null;
  monthly_cost_limit_usd: number | null;
  month_tokens: number;
  month_hosted_cost_usd: number;
  /** Highest share of a limit used, 0..n; null without limits. */
  ratio: number | null;
  warning: boolean;
  exceeded: boolean;
}

function monthStart(now = new Date()): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}

/** Whole seconds from `now` to the start of the next UTC month (at least 1). */
export function secondsToNextMonth(now = new Date()): number {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
  return Math.max(1, Math.ceil((next - now.getTime()) / 1000));
}

function nonNegativeInt(n: unknown): number {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.round(n) : 0;
}

/**
 * Usage events: buffered in memory and written in batches, so a model call
 * never waits for a database round trip. The monthly model budget
 * (settings.limits.monthly_token_limit / monthly_cost_limit_usd): a warning
 * at 80 % (logged, and reported by GET /usage), refusal at 100 % by
 * `assertAvailable` — called by ModelBudgetGuard on every model-calling route
 * and by the ingestion worker before it spends on a queued document. A
 * tenant's month-to-date totals are cached for LIMIT_CACHE_MS, with every
 * event recorded meanwhile added, so the check costs no round trip per request.
 */
@Injectable()
export class UsageService implements UsageSink, OnModuleInit, OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger(UsageService.name);
  private buffer: UsageRow[] = [];
  /** A database outage is logged once (then every 30 s), not on every 1 s flush. */
  private readonly outage = new OutageLog(this.logger, 'usage flush');
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  /** Rows taken from the buffer whose INSERT has not finished: still counted by limitStatus. */
  private writing: UsageRow[] = [];
  private readonly limitCache = createCache<string, LimitStatus>({ max: LIMIT_CACHE_MAX, ttlMs: LIMIT_CACHE_MS });
  private readonly warnedAt = createCache<string, number>({ max: LIMIT_CACHE_MAX, ttlMs: WARN_EVERY_MS });

  constructor(
    private readonly db: DatabaseService,
    private readonly repo: UsageRepository,
    private readonly metrics: MetricsService,
    events: TenantEvents,
  ) {
    // A changed limit (PATCH /tenants/:id) applies to the next request on this replica.
    invalidateOn(this.limitCache, events, (e) => (e.type === 'updated' || e.type === 'deleted' || e.type === 'purged' ? e.tenantId : null));
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), FLUSH_EVERY_MS);
    this.timer.unref();
  }

  onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    return this.flush();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.flush();
  }

  record(event: ModelUsage): void {
    const inputTokens = nonNegativeInt(event.inputTokens);
    const outputTokens = nonNegativeInt(event.outputTokens);
    const row: UsageRow = {
      tenantId: event.tenantId,
      kbId: event.kbId ?? null,
      apiKeyId: event.apiKeyId ?? null,
      provider: event.provider,
      model: event.model,
      kind: event.kind,
      inputTokens,
      outputTokens,
      costUsd: estimateCostUsd(event.provider, event.model, inputTokens, outputTokens),
      executionMode: event.executionMode === 'byo_key' ? 'byo_key' : 'hosted',
      createdAt: new Date(),
    };
    this.buffer.push(row);
    // Keep the cached month totals honest until the next refresh.
    const cached = this.limitCache.get(row.tenantId);
    if (cached) {
      cached.month_tokens += inputTokens + outputTokens;
      if (row.executionMode === 'hosted') cached.month_hosted_cost_usd += row.costUsd;
    }
    if (this.buffer.length >= FLUSH_AT) void this.flush();
  }

  /** Writes everything buffered so far (also called before reading usage back). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writeBuffered());
    return this.flushing;
  }

  private async writeBuffered(): Promise<void> {
    if (!this.buffer.length) return;
    const batch = this.buffer;
    this.buffer = [];
    this.writing = batch;
    try {
      await this.db.withPlatform((db) => this.repo.insertMany(db, batch));
      this.outage.recovered();
    } catch (err) {
      if (isDatabaseUnavailable(err)) {
        // Keep them, oldest first, for the next flush (the database may be restarting).
        this.buffer = batch.concat(this.buffer);
        const dropped = this.buffer.length > MAX_BUFFER ? this.buffer.splice(0, this.buffer.length - MAX_BUFFER).length : 0;
        if (dropped) this.logger.error({ dropped }, 'usage buffer overflow while the database is unavailable: oldest events dropped');
        this.outage.failed(err, { pending: this.buffer.length });
        return;
      }
      // One bad row (e.g. a tenant purged meanwhile) must not lose the others.
      let lost = 0;
      for (const row of batch) {
        try {
          await this.db.withPlatform((db) => this.repo.insertMany(db, [row]));
        } catch {
          lost++;
        }
      }
      if (lost) this.logger.warn({ err, lost }, 'usage events could not be stored');
    } finally {
      this.writing = [];
    }
  }

  /** The tenant's monthly limits and month-to-date use, with the 80 % warning and 100 % exceeded flags. */
  async limitStatus(tenantId: string): Promise<LimitStatus> {
    const hit = this.limitCache.get(tenantId);
    if (hit) return evaluate(hit);
    // Events not yet in the table (buffered, or being written) count too.
    const pending = [...this.writing, ...this.buffer].filter((r) => r.tenantId === tenantId);
    const { limits, month } = await this.db.withPlatform(async (db) => ({
      limits: await this.repo.tenantLimits(db, tenantId),
      month: await this.repo.monthToDate(db, tenantId, monthStart()),
    }));
    const status: LimitStatus = {
      monthly_token_limit: typeof limits?.monthly_token_limit === 'number' ? limits.monthly_token_limit : null,
      monthly_cost_limit_usd: typeof limits?.monthly_cost_limit_usd === 'number' ? limits.monthly_cost_limit_usd : null,
      month_tokens: month.tokens + pending.reduce((n, r) => n + r.inputTokens + r.outputTokens, 0),
      month_hosted_cost_usd: month.hostedCostUsd + pending.filter((r) => r.executionMode === 'hosted').reduce((n, r) => n + r.costUsd, 0),
      ratio: null,
      warning: false,
      exceeded: false,
    };
    this.limitCache.set(tenantId, status);
    return evaluate(status);
  }

  /**
   * Throws 429 QUOTA_EXCEEDED (Retry-After: seconds to the start of the next
   * UTC month) when the tenant has used 100 % of a monthly token or cost
   * limit; logs a warning (at most every 10 minutes per tenant) past 80 %.
   * `kind` names what would be spent: a query (answer, keywords, query
   * embedding) or ingestion (embedding and extraction of documents).
   */
  async assertAvailable(tenantId: string, kind: 'query' | 'ingestion'): Promise<void> {
    const s = await this.limitStatus(tenantId);
    if (s.exceeded) {
      this.metrics.quotaExceeded.inc({ tenant_id: tenantId, quota: 'monthly_budget' });
      throw new AppException(
        'QUOTA_EXCEEDED',
        `This tenant has used its monthly model budget (token or cost limit), so ${kind === 'query' ? 'queries are' : 'document ingestion is'} refused; ` +
          'model calls resume at the start of next month (UTC) or when an admin raises the limit.',
        undefined,
        { 'Retry-After': String(secondsToNextMonth()) },
      );
    }
    if (s.warning && !this.warnedAt.has(tenantId)) {
      this.warnedAt.set(tenantId, Date.now());
      this.logger.warn({ tenant_id: tenantId, ratio: s.ratio }, 'tenant is above 80 % of its monthly model budget');
    }
  }

  async report(tenantId: string, since: Date, until: Date): Promise<UsageReport & { since: string; until: string; unpriced_models: string[]; limits: LimitStatus }> {
    await this.flush();
    const agg = await this.db.withTenant(tenantId, (db) => this.repo.aggregate(db, tenantId, since, until));
    const limits = await this.limitStatus(tenantId);
    const unpriced = agg.by_model.filter((m) => !priceOf(m.provider, m.model)).map((m) => m.model);
    return { since: since.toISOString(), until: until.toISOString(), ...agg, unpriced_models: [...new Set(unpriced)], limits };
  }
}

function evaluate(s: LimitStatus): LimitStatus {
  const ratios: number[] = [];
  if (s.monthly_token_limit !== null) ratios.push(s.monthly_token_limit === 0 ? Infinity : s.month_tokens / s.monthly_token_limit);
  if (s.monthly_cost_limit_usd !== null) ratios.push(s.monthly_cost_limit_usd === 0 ? Infinity : s.month_hosted_cost_usd / s.monthly_cost_limit_usd);
  const ratio = ratios.length ? Math.max(...ratios) : null;
  return {
    ...s,
    month_hosted_cost_usd: Math.round(s.month_hosted_cost_usd * 1e8) / 1e8,
    ratio: ratio === null ? null : ratio === Infinity ? 1 : Math.round(ratio * 10000) / 10000,
    warning: ratio !== null && ratio >= WARNING_RATIO,
    exceeded: ratio !== null && ratio >= 1,
  };
}
