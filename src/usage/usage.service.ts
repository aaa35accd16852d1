import { BeforeApplicationShutdown, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { AppException } from '../common/app-exception';
import { DatabaseService } from '../database/database.service';
import { MetricsService } from '../metrics/metrics.service';
import { estimateCostUsd, priceOf } from './prices';
import { UsageEvent, UsageRecorder } from './usage-recorder';
import { UsageRepository, UsageRow } from './usage.repository';

const FLUSH_EVERY_MS = 1000;
const FLUSH_AT = 200;
const LIMIT_CACHE_MS = 5000;
const WARNING_RATIO = 0.8;

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

function nonNegativeInt(n: unknown): number {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.round(n) : 0;
}

/**
 * Usage events (seed 003): buffered in memory and written in batches, so a
 * model call never waits for a database round trip; month-to-date totals are
 * cached briefly for the soft limits (warning at 80 %, refusal at 100 %).
 */
@Injectable()
export class UsageService extends UsageRecorder implements OnModuleInit, OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger(UsageService.name);
  private buffer: UsageRow[] = [];
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private readonly limitCache = new Map<string, { at: number; status: LimitStatus }>();
  private readonly warnedAt = new Map<string, number>();

  constructor(
    private readonly db: DatabaseService,
    private readonly repo: UsageRepository,
    private readonly metrics: MetricsService,
  ) {
    super();
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

  record(event: UsageEvent): void {
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
      cached.status.month_tokens += inputTokens + outputTokens;
      if (row.executionMode === 'hosted') cached.status.month_hosted_cost_usd += row.costUsd;
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
    try {
      await this.db.withPlatform((db) => this.repo.insertMany(db, batch));
    } catch (err) {
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
    }
    for (const row of batch) this.limitCache.delete(row.tenantId);
  }

  async limitStatus(tenantId: string): Promise<LimitStatus> {
    const hit = this.limitCache.get(tenantId);
    if (hit && Date.now() - hit.at < LIMIT_CACHE_MS) return evaluate(hit.status);
    const pending = this.buffer.filter((r) => r.tenantId === tenantId);
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
    this.limitCache.set(tenantId, { at: Date.now(), status });
    return evaluate(status);
  }

  /** The engine's ModelBudget port (src/engine/engine.module.ts): the monthly limits, whatever the model work. */
  assertAvailable(tenantId: string, _kind: 'query' | 'ingestion'): Promise<void> {
    return this.assertWithinLimits(tenantId);
  }

  async assertWithinLimits(tenantId: string): Promise<void> {
    const s = await this.limitStatus(tenantId);
    if (s.exceeded) {
      this.metrics.quotaExceeded.inc({ tenant_id: tenantId, quota: 'monthly_budget' });
      const next = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() + 1, 1));
      const retryAfter = Math.max(1, Math.ceil((next.getTime() - Date.now()) / 1000));
      throw new AppException(
        'QUOTA_EXCEEDED',
        'This tenant has used its monthly model budget (token or cost limit); model calls resume next month or when an admin raises the limit.',
        undefined,
        { 'Retry-After': String(retryAfter) },
      );
    }
    if (s.warning) {
      const last = this.warnedAt.get(tenantId) ?? 0;
      if (Date.now() - last > 600_000) {
        this.warnedAt.set(tenantId, Date.now());
        this.logger.warn({ tenant_id: tenantId, ratio: s.ratio }, 'tenant is above 80 % of its monthly model budget');
      }
    }
  }

  async report(tenantId: string, since: Date, until: Date) {
    await this.flush();
    const agg = await this.db.withTenant(tenantId, (db) => this.repo.aggregate(db, tenantId, since, until));
    const limits = await this.limitStatus(tenantId);
    const unpriced = agg.by_model.filter((m: { provider: string; model: string }) => !priceOf(m.provider, m.model)).map((m: { model: string }) => m.model);
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
