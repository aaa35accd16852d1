import { createApp } from '../../src/app.factory';
import { freshDatabase } from '../support/test-db';
import { startTestApp, TestApp } from '../support/test-app';

describe('spine: envelope, errors, health, docs', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('GET /health answers in the success envelope', async () => {
    const r = await t.http.get('/health');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: 'success', data: { status: 'ok' } });
  });

  it('GET /health/ready checks the database and says how changes reach other replicas (local on PGlite, LISTEN/NOTIFY on a server) and where rate limits count (memory without Redis)', async () => {
    const r = await t.http.get('/health/ready');
    expect(r.status).toBe(200);
    expect(r.body.data.status).toBe('ok');
    expect(['pglite', 'postgres']).toContain(r.body.data.database);
    expect(r.body.data.invalidation).toBe(r.body.data.database === 'pglite' ? 'local' : 'postgres');
    expect(r.body.data.rate_limits).toBe('memory');
  });

  it('an unknown route is a 404 NOT_FOUND envelope with the request id', async () => {
    const r = await t.http.get('/api/v1/nothing-here');
    expect(r.status).toBe(404);
    expect(r.body.status).toBe('error');
    expect(r.body.error.code).toBe('NOT_FOUND');
    expect(r.body.error.request_id).toBe(r.headers.get('x-request-id'));
  });

  it('malformed JSON is a 400 VALIDATION_ERROR, not a 500', async () => {
    const r = await t.http.request('POST', '/api/v1/auth/login', { raw: '{"username": ', headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('VALIDATION_ERROR');
    expect(r.text).not.toMatch(/at .*\.js:\d+/);
  });

  it('a valid incoming X-Request-Id is echoed; an invalid one is replaced', async () => {
    const ok = await t.http.request('GET', '/health', { headers: { 'x-request-id': 'abc-123' } });
    expect(ok.headers.get('x-request-id')).toBe('abc-123');
    const bad = await t.http.request('GET', '/health', { headers: { 'x-request-id': 'no spaces allowed <script>' } });
    expect(bad.headers.get('x-request-id')).not.toBe('no spaces allowed <script>');
    expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('failed validation lists one detail per bad field', async () => {
    const r = await t.http.post('/api/v1/tenants', { tenant_name: '', tier: 'gold', extra: 1 }, t.admin);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('VALIDATION_ERROR');
    const fields = r.body.error.details.map((d: { field: string }) => d.field).sort();
    expect(fields).toEqual(['extra', 'tenant_name', 'tier']);
  });

  it('a body over the limit is 413 PAYLOAD_TOO_LARGE', async () => {
    const big = JSON.stringify({ username: 'x'.repeat(2 * 1024 * 1024), password: 'y' });
    const small = await startTestApp({ env: { MAX_UPLOAD_MB: '1' } });
    try {
      const r = await small.http.request('POST', '/api/v1/auth/login', { raw: big, headers: { 'content-type': 'application/json' } });
      expect(r.status).toBe(413);
      expect(r.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    } finally {
      await small.close();
    }
  });

  it('an unsupported content type is 415', async () => {
    const r = await t.http.request('POST', '/api/v1/auth/login', { raw: '<xml/>', headers: { 'content-type': 'application/xml' } });
    expect(r.status).toBe(415);
    expect(r.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('serves OpenAPI at /docs-json and the UI at /docs', async () => {
    const json = await t.http.get('/docs-json');
    expect(json.status).toBe(200);
    expect(json.body.openapi).toMatch(/^3\./);
    expect(Object.keys(json.body.paths)).toEqual(expect.arrayContaining(['/api/v1/tenants', '/api/v1/tenants/{tenantId}/knowledge-bases', '/health/ready']));
    const ui = await t.http.get('/docs');
    expect(ui.status).toBe(200);
    expect(ui.text).toMatch(/swagger/i);
  });
});

describe('spine: configuration is validated at boot', () => {
  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ JWT_ALGORITHM: 'none' }, 'JWT_ALGORITHM'],
    [{ TOKEN_SECRET: 'short' }, 'TOKEN_SECRET'],
    [{ EMBEDDING_DIM: '-3' }, 'EMBEDDING_DIM'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ ENABLE_AUDIT_LOGGING: 'maybe' }, 'ENABLE_AUDIT_LOGGING'],
    [{ LLM_BINDING: 'openai' }, 'LLM_BINDING_API_KEY'],
  ])('%j stops start-up naming %s', async (env, variable) => {
    await expect(createApp({ DATA_DIR: 'memory://', ...env }, { logger: false })).rejects.toThrow(new RegExp(`Invalid configuration: ${variable}`));
  });
});

describe('spine: data survive a restart', () => {
  it('a tenant created before a restart is there after it (same database)', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = process.env.TEST_DATABASE_URL ? null : mkdtempSync(join(tmpdir(), 'strata-restart-'));
    const database = dir ? { env: { DATA_DIR: dir }, url: null, drop: async () => rmSync(dir, { recursive: true, force: true }) } : await freshDatabase();
    try {
      const first = await startTestApp({ database });
      const created = await first.http.post('/api/v1/tenants', { tenant_name: 'Survivor' }, first.admin);
      expect(created.status).toBe(201);
      await first.close();
      const second = await startTestApp({ database });
      const got = await second.http.get(`/api/v1/tenants/${created.body.data.tenant_id}`, second.admin);
      expect(got.status).toBe(200);
      expect(got.body.data.tenant_name).toBe('Survivor');
      await second.close();
    } finally {
      await database.drop();
    }
  });
});
