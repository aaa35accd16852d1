import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { METRICS_TOKEN, seedTenant, startTestApp, TestApp } from '../support/test-app';

/** The value of one series in Prometheus text, or 0 when the series is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

const SEED_METRICS = [
  'active_tenants',
  'total_kbs',
  'tenant_creation_time',
  'cross_tenant_access_attempts',
  'cross_kb_access_attempts',
  'isolation_violations',
  'query_latency',
  'document_processing_time',
  'rag_instance_cache_hits',
  'rag_instance_cache_misses',
  'rag_instance_cache_evictions',
  'failed_auth_attempts',
  'permission_denials',
  'api_key_usage',
  'storage_used_per_tenant',
  'documents_per_tenant',
  'api_calls_per_tenant',
  'http_request_duration_seconds',
  'queue_depth',
  'job_failures',
  'provider_latency_seconds',
  'provider_errors',
];

describe('operations: Prometheus metrics', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const scrape = async () => {
    const r = await t.http.get('/metrics', { token: METRICS_TOKEN });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/plain');
    return r.text;
  };

  it('exposes the seed metric set in the text format', async () => {
    const text = await scrape();
    for (const name of SEED_METRICS) expect(text).toContain(`# TYPE ${name} `);
    expect(text).toContain('strata_process_cpu_user_seconds_total');
  });

  it('database_units shows the units of work on the database by pool and state (no replicas here: theirs stay 0)', async () => {
    const text = await scrape();
    for (const state of ['running', 'waiting']) {
      // The primary's: whatever the background loops hold at the scrape (the scrape's own read comes after).
      expect(text).toMatch(new RegExp(`^database_units\\{pool="primary",state="${state}"\\} \\d+$`, 'm'));
      expect(text).toMatch(new RegExp(`^database_units\\{pool="replica",state="${state}"\\} 0$`, 'm'));
    }
  });

  it('a denied cross-tenant call moves cross_tenant_access_attempts and permission_denials', async () => {
    const a = await seedTenant(t, 'Metrics A');
    const b = await seedTenant(t, 'Metrics B');
    const before = await scrape();
    const denied = await t.http.get(`/api/v1/tenants/${b.tenantId}/knowledge-bases`, a.key);
    expect(denied.status).toBe(403);
    const after = await scrape();
    expect(sample(after, 'cross_tenant_access_attempts', { tenant_id: a.tenantId })).toBe(sample(before, 'cross_tenant_access_attempts', { tenant_id: a.tenantId }) + 1);
    expect(sample(after, 'permission_denials', { tenant_id: a.tenantId, reason: 'cross_tenant' })).toBe(1);
  });

  it('isolation_violations counts statements refused by a row-level security policy (a row written for another tenant)', async () => {
    const a = await seedTenant(t, 'Metrics RLS A');
    const b = await seedTenant(t, 'Metrics RLS B');
    const before = sample(await scrape(), 'isolation_violations', { table: 'knowledge_bases' });
    // Inside tenant A's unit of work, a KB row for tenant B: PostgreSQL's policy refuses it (SQLSTATE 42501).
    const refused = await t.db
      .withTenant(a.tenantId, (db) => db.exec(`INSERT INTO knowledge_bases (tenant_id, name) VALUES ($1, 'smuggled')`, [b.tenantId]))
      .then(
        () => null,
        (err: { code?: string; driverError?: { code?: string }; message: string }) => ({ code: err.driverError?.code ?? err.code, message: err.message }),
      );
    expect(refused).toEqual({ code: '42501', message: expect.stringMatching(/row-level security/) });
    const after = await scrape();
    expect(sample(after, 'isolation_violations', { table: 'knowledge_bases' })).toBe(before + 1);
    // An ordinary failure (a constraint, not a policy) is not counted.
    await t.db.withTenant(a.tenantId, (db) => db.exec(`INSERT INTO knowledge_bases (tenant_id, name) VALUES ($1, NULL)`, [a.tenantId])).catch(() => undefined);
    expect(sample(await scrape(), 'isolation_violations')).toBe(sample(after, 'isolation_violations'));
  });

  it('failed authentication, API-key usage and per-tenant calls are counted', async () => {
    const a = await seedTenant(t, 'Metrics Calls');
    const before = await scrape();
    await t.http.get('/api/v1/tenants', { key: 'sk-not-a-real-key-000000000000000000000' });
    await t.http.post('/api/v1/auth/login', { username: 'admin', password: 'definitely-wrong' });
    for (let i = 0; i < 3; i++) expect((await t.http.get(`/api/v1/tenants/${a.tenantId}/knowledge-bases`, a.key)).status).toBe(200);
    const after = await scrape();
    expect(sample(after, 'failed_auth_attempts')).toBe(sample(before, 'failed_auth_attempts') + 2);
    expect(sample(after, 'api_calls_per_tenant', { tenant_id: a.tenantId }) - sample(before, 'api_calls_per_tenant', { tenant_id: a.tenantId })).toBe(3);
    expect(sample(after, 'api_key_usage', { tenant_id: a.tenantId, key_id: a.key.keyId })).toBeGreaterThanOrEqual(3);
    expect(sample(after, 'tenant_creation_time_count')).toBeGreaterThanOrEqual(1);
  });

  it('HTTP durations are labelled by route pattern (never raw ids); unmatched routes and errors are counted', async () => {
    const a = await seedTenant(t, 'Metrics Routes');
    await t.http.get(`/api/v1/tenants/${a.tenantId}`, a.key);
    await t.http.get('/api/v1/no-such-route/12345');
    await t.http.request('POST', '/api/v1/auth/login', { raw: '{bad json', headers: { 'content-type': 'application/json' } });
    const text = await scrape();
    expect(sample(text, 'http_request_duration_seconds_count', { route: '/api/v1/tenants/:tenantId', method: 'GET', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'http_request_duration_seconds_count', { route: 'unmatched', status: '404' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'http_request_duration_seconds_count', { route: '/api/v1/auth/login', status: '400' })).toBeGreaterThanOrEqual(1);
    const routeLabels = [...text.matchAll(/http_request_duration_seconds_count\{[^}]*route="([^"]*)"/g)].map((m) => m[1]);
    expect(routeLabels.length).toBeGreaterThan(0);
    for (const r of routeLabels) expect(r).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
    expect(routeLabels).not.toContain('/api/v1/no-such-route/12345');
  });

  it('the Grafana dashboard only charts metrics the server exports', async () => {
    const dashboard = JSON.parse(readFileSync(join(__dirname, '../../grafana/strata-dashboard.json'), 'utf8'));
    const exprs: string[] = dashboard.panels.flatMap((p: { targets?: Array<{ expr: string }> }) => (p.targets ?? []).map((t) => t.expr));
    expect(exprs.length).toBeGreaterThan(20);
    const text = await scrape();
    const exported = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    const promql = new Set([
      'sum',
      'by',
      'rate',
      'histogram_quantile',
      'topk',
      'or',
      'vector',
      'le',
      'route',
      'tenant_id',
      'mode',
      'outcome',
      'state',
      'final',
      'binding',
      'kind',
      'reason',
      'status',
      'category',
      'quota',
      'key_id',
    ]);
    for (const expr of exprs) {
      const names = (
        expr
          .replace(/\{[^}]*\}/g, '')
          .replace(/\[[^\]]*\]/g, '')
          .match(/[a-z_][a-z0-9_]*/g) ?? []
      ).filter((n) => !promql.has(n));
      for (const n of names) expect([n, n.replace(/_(bucket|count|sum)$/, '')].some((m) => exported.has(m))).toBe(true);
    }
  });

  it('gauges follow tenants, KBs and documents', async () => {
    const a = await seedTenant(t, 'Metrics Gauges', ['g1', 'g2']);
    const added = await t.http.post(`/api/v1/tenants/${a.tenantId}/knowledge-bases/${a.kbIds[0]}/documents/text`, { text: 'Gauges count documents and bytes per tenant.' }, a.key);
    expect(added.status).toBe(202);
    const text = await scrape();
    expect(sample(text, 'active_tenants')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'total_kbs')).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'documents_per_tenant', { tenant_id: a.tenantId })).toBe(1);
    expect(sample(text, 'storage_used_per_tenant', { tenant_id: a.tenantId })).toBeGreaterThan(0);
  });
});

describe('operations: METRICS_TOKEN', () => {
  it('protects /metrics with a bearer token (401 envelope otherwise)', async () => {
    const t = await startTestApp({ env: { METRICS_TOKEN: 'scrape-secret-123' } });
    try {
      const none = await t.http.get('/metrics');
      expect(none.status).toBe(401);
      expect(none.body.error.code).toBe('UNAUTHENTICATED');
      expect((await t.http.get('/metrics', { token: 'wrong' })).status).toBe(401);
      const ok = await t.http.get('/metrics', { token: 'scrape-secret-123' });
      expect(ok.status).toBe(200);
      expect(ok.text).toContain('# TYPE active_tenants gauge');
    } finally {
      await t.close();
    }
  });

  it('without METRICS_TOKEN, /metrics is not public: 401 in the envelope, tenant and key ids not shown', async () => {
    const t = await startTestApp({ env: { METRICS_TOKEN: '' } });
    try {
      const a = await seedTenant(t, 'Metrics Hidden');
      await t.http.get(`/api/v1/tenants/${a.tenantId}/knowledge-bases`, a.key);
      for (const as of [undefined, { token: 'guess' }, { token: t.admin.token }, a.key]) {
        const r = await t.http.get('/metrics', as);
        expect(r.status).toBe(401);
        expect(r.body).toMatchObject({ status: 'error', error: { code: 'UNAUTHENTICATED', request_id: expect.any(String) } });
        expect(r.headers.get('x-request-id')).toBe(r.body.error.request_id);
        expect(r.text).not.toContain(a.tenantId);
        expect(r.text).not.toContain(a.key.keyId);
      }
      // The generated token is kept only as a hash.
      const rows = await t.db.withPlatform((db) => db.many<any>(`SELECT value FROM platform_settings WHERE key = 'metrics_token_sha256'`));
      expect(rows[0].value).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      await t.close();
    }
  });

  it('METRICS_PUBLIC=true (an explicit opt-in) serves /metrics without a token', async () => {
    const t = await startTestApp({ env: { METRICS_TOKEN: '', METRICS_PUBLIC: 'true' } });
    try {
      const ok = await t.http.get('/metrics');
      expect(ok.status).toBe(200);
      expect(ok.text).toContain('# TYPE active_tenants gauge');
    } finally {
      await t.close();
    }
  });
});
