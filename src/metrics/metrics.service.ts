import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every Prometheus metric of the server, behind one service. Labels are
 * bounded: tenant ids, KB ids and table names yes; document ids, raw paths or
 * user input never. Names are the ones the README and the Grafana dashboard use.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly activeTenants = new Gauge({ name: 'active_tenants', help: 'Tenants that are active and not deleted', registers: [this.registry] });
  readonly totalKbs = new Gauge({ name: 'total_kbs', help: 'Knowledge bases on the server', registers: [this.registry] });
  readonly tenantCreationTime = new Histogram({
    name: 'tenant_creation_time',
    help: 'Seconds to create a tenant',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly crossTenantAccessAttempts = new Counter({
    name: 'cross_tenant_access_attempts',
    help: 'Requests denied because they named another tenant',
    labelNames: ['tenant_id'],
    registers: [this.registry],
  });
  readonly crossKbAccessAttempts = new Counter({
    name: 'cross_kb_access_attempts',
    help: 'Requests denied because they named a KB outside the key scope',
    labelNames: ['tenant_id'],
    registers: [this.registry],
  });
  /** Counted by MetricsCollector from every statement PostgreSQL refuses (observeQueryErrors). */
  readonly isolationViolations = new Counter({
    name: 'isolation_violations',
    help: 'Statements PostgreSQL refused under a row-level security policy (SQLSTATE 42501, e.g. a row written for another tenant); must stay 0',
    labelNames: ['table'],
    registers: [this.registry],
  });
  readonly queryLatency = new Histogram({
    name: 'query_latency',
    help: 'Seconds to answer a RAG query',
    labelNames: ['tenant_id', 'mode'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly documentProcessingTime = new Histogram({
    name: 'document_processing_time',
    help: 'Seconds to ingest one document (parse, chunk, embed, extract, store)',
    labelNames: ['tenant_id', 'outcome'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  /** Read-only units of work (queries, graph reads, document lists) by where they ran: `replica` only with DATABASE_READ_URL. */
  readonly databaseReads = new Gauge({
    name: 'database_reads',
    help: 'Read-only units of work since start, by where they ran (primary, or a DATABASE_READ_URL replica)',
    labelNames: ['target'],
    registers: [this.registry],
  });
  /** Units of work on the database connections now, by pool and state (DatabaseService.units): `waiting` is the queue for a turn. */
  readonly databaseUnits = new Gauge({
    name: 'database_units',
    help: 'Units of work holding a database connection (running) or waiting for their turn (waiting), on the primary or the DATABASE_READ_URL replicas',
    labelNames: ['pool', 'state'],
    registers: [this.registry],
  });
  readonly ragInstanceCacheHits = new Counter({ name: 'rag_instance_cache_hits', help: 'RAG instance cache hits', registers: [this.registry] });
  readonly ragInstanceCacheMisses = new Counter({ name: 'rag_instance_cache_misses', help: 'RAG instance cache misses', registers: [this.registry] });
  readonly ragInstanceCacheEvictions = new Counter({
    name: 'rag_instance_cache_evictions',
    help: 'RAG instances pushed out by the cache bound (including new ones refused admission)',
    registers: [this.registry],
  });
  readonly failedAuthAttempts = new Counter({ name: 'failed_auth_attempts', help: 'Failed authentications', labelNames: ['reason'], registers: [this.registry] });
  readonly permissionDenials = new Counter({
    name: 'permission_denials',
    help: 'Authenticated requests denied (permission, admin-only, suspended tenant)',
    labelNames: ['tenant_id', 'reason'],
    registers: [this.registry],
  });
  readonly apiKeyUsage = new Counter({
    name: 'api_key_usage',
    help: 'Requests authenticated by an API key, per key',
    labelNames: ['tenant_id', 'key_id'],
    registers: [this.registry],
  });
  readonly storageUsedPerTenant = new Gauge({
    name: 'storage_used_per_tenant',
    help: 'Bytes of document content stored per tenant',
    labelNames: ['tenant_id'],
    registers: [this.registry],
  });
  readonly documentsPerTenant = new Gauge({ name: 'documents_per_tenant', help: 'Documents per tenant', labelNames: ['tenant_id'], registers: [this.registry] });
  readonly apiCallsPerTenant = new Counter({ name: 'api_calls_per_tenant', help: 'Tenant-scoped API calls', labelNames: ['tenant_id'], registers: [this.registry] });
  readonly httpRequestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route pattern, method and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({ name: 'queue_depth', help: 'Ingestion jobs waiting or running', labelNames: ['state'], registers: [this.registry] });
  readonly jobFailures = new Counter({ name: 'job_failures', help: 'Ingestion job attempts that failed', labelNames: ['final'], registers: [this.registry] });
  readonly providerLatency = new Histogram({
    name: 'provider_latency_seconds',
    help: 'Model provider call latency',
    labelNames: ['binding', 'kind'],
    buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly providerErrors = new Counter({ name: 'provider_errors', help: 'Model provider call failures', labelNames: ['binding', 'kind'], registers: [this.registry] });
  readonly rateLimited = new Counter({
    name: 'rate_limited_requests',
    help: 'Requests refused with 429 RATE_LIMITED, by budget (query, document, crud, auth_failures)',
    labelNames: ['tenant_id', 'category'],
    registers: [this.registry],
  });
  readonly quotaExceeded = new Counter({
    name: 'quota_exceeded',
    help: 'Requests refused with 429 QUOTA_EXCEEDED',
    labelNames: ['tenant_id', 'quota'],
    registers: [this.registry],
  });
  readonly auditBacklog = new Gauge({ name: 'audit_log_backlog', help: 'Audit entries buffered in memory, not yet written', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'strata_' });
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
