import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { isDatabaseUnavailable } from '../common/error-mapping';
import { OutageLog } from '../common/outage-log';
import { SecurityEvent, SecurityEvents } from '../context/security-events';
import { DatabaseService } from '../database/database.service';
import { observeQueryErrors } from '../database/db';
import { MetricsRepository } from './metrics.repository';
import { MetricsService } from './metrics.service';

const REFRESH_MS = 15_000;

/**
 * Feeds MetricsService from the places that know: the guard's security
 * events, statements refused by a row-level security policy (the database's
 * own isolation wall: isolation_violations), Fastify's onResponse hook (every response, 404s and pre-routing
 * errors included, labelled by route pattern), and periodic platform SQL for
 * the gauges (tenants, KBs, documents and bytes per tenant).
 */
@Injectable()
export class MetricsCollector implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(MetricsCollector.name);
  private readonly outage = new OutageLog(this.logger, 'metrics gauges');
  private timer?: NodeJS.Timeout;
  private stopObservingQueries?: () => void;
  private refreshing: Promise<void> | null = null;

  constructor(
    private readonly metrics: MetricsService,
    private readonly db: DatabaseService,
    private readonly repo: MetricsRepository,
    private readonly adapterHost: HttpAdapterHost,
    securityEvents: SecurityEvents,
  ) {
    securityEvents.subscribe((e) => this.onSecurityEvent(e));
    this.installHttpHook();
    this.stopObservingQueries = observeQueryErrors((err) => {
      const table = rlsRefusedTable(err);
      if (table !== null) this.metrics.isolationViolations.inc({ table });
    });
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    this.stopObservingQueries?.();
  }

  private installHttpHook(): void {
    const fastify = this.adapterHost?.httpAdapter?.getInstance?.() as FastifyInstance | undefined;
    if (!fastify || typeof fastify.addHook !== 'function') return;
    fastify.addHook('onResponse', (req, reply, done) => {
      try {
        // The route PATTERN (never the raw path: ids would explode the label set).
        const route = req.routeOptions?.url ?? 'unmatched';
        this.metrics.httpRequestDuration.observe({ method: req.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
      } catch {
        // metrics never fail a request
      }
      done();
    });
  }

  private onSecurityEvent(e: SecurityEvent): void {
    const tenant = e.tenantId ?? 'none';
    if (e.type === 'auth_failed') {
      this.metrics.failedAuthAttempts.inc({ reason: e.reason });
      return;
    }
    this.metrics.permissionDenials.inc({ tenant_id: tenant, reason: e.reason });
    if (e.reason === 'cross_tenant') this.metrics.crossTenantAccessAttempts.inc({ tenant_id: tenant });
    if (e.reason === 'cross_kb') this.metrics.crossKbAccessAttempts.inc({ tenant_id: tenant });
  }

  /** Before a scrape: the gauges are read from the database (concurrent scrapes share one read). */
  async refreshForScrape(): Promise<void> {
    for (const target of ['primary', 'replica'] as const) this.metrics.databaseReads.set({ target }, this.db.reads[target]);
    // Before the refresh, whose own unit would count itself.
    for (const [pool, units] of Object.entries(this.db.units)) for (const [state, n] of Object.entries(units)) this.metrics.databaseUnits.set({ pool, state }, n);
    await this.refresh();
  }

  refresh(): Promise<void> {
    this.refreshing ??= this.readGauges().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async readGauges(): Promise<void> {
    try {
      const { tenants, kbs, docs } = await this.db.withPlatform((db) => this.repo.gaugeCounts(db));
      this.metrics.activeTenants.set(tenants);
      this.metrics.totalKbs.set(kbs);
      // Reset first so purged tenants disappear from the series.
      this.metrics.documentsPerTenant.reset();
      this.metrics.storageUsedPerTenant.reset();
      for (const r of docs) {
        this.metrics.documentsPerTenant.set({ tenant_id: r.tenant_id }, r.n);
        this.metrics.storageUsedPerTenant.set({ tenant_id: r.tenant_id }, Number(r.bytes));
      }
      this.outage.recovered();
    } catch (err) {
      if (isDatabaseUnavailable(err)) this.outage.failed(err);
      else this.logger.warn({ err: (err as Error).message }, 'metrics gauges could not be refreshed');
    }
  }
}

/**
 * The table named by a row-level security refusal (SQLSTATE 42501 with
 * PostgreSQL's "row-level security" wording, e.g. `new row violates
 * row-level security policy for table "documents"`), '' when the message
 * names none, or null when the error is something else.
 */
export function rlsRefusedTable(err: unknown): string | null {
  const e = err as { code?: unknown; message?: unknown; driverError?: { code?: unknown; message?: unknown } } | null;
  const code = e?.driverError?.code ?? e?.code;
  const message = String(e?.driverError?.message ?? e?.message ?? '');
  if (code !== '42501' || !/row-level security/i.test(message)) return null;
  return /for table "([^"]{1,63})"/.exec(message)?.[1] ?? '';
}
