import { randomUUID } from 'node:crypto';
import type { ApiResponse } from '../support/http';
import { seedTenant, startTestApp, TestApp } from '../support/test-app';

/** Bad input on the tenancy routes is a 4xx envelope: never a 500, never a stack trace or SQL. */
describe('tenancy: validation and hostile input', () => {
  let t: TestApp;
  let A: Awaited<ReturnType<typeof seedTenant>>;
  let B: Awaited<ReturnType<typeof seedTenant>>;

  beforeAll(async () => {
    t = await startTestApp();
    A = await seedTenant(t, `Valid Alpha ${randomUUID().slice(0, 6)}`, ['main']);
    B = await seedTenant(t, `Valid Bravo ${randomUUID().slice(0, 6)}`, ['theirs']);
  });
  afterAll(() => t?.close());

  const T = () => `/api/v1/tenants/${A.tenantId}`;

  function expectClientError(r: ApiResponse, status: number, code: string) {
    expect({ status: r.status, code: r.body?.error?.code }).toEqual({ status, code });
    expect(r.body.error.request_id).toEqual(expect.any(String));
    expect(r.text).not.toMatch(/\bat .+\.(js|ts):\d+|SELECT |INSERT |QueryFailedError|stack/);
  }

  describe('a tenant that does not exist', () => {
    it.each([
      ['GET', 'users', undefined],
      ['POST', 'users', { username: 'ghost-user', password: 'long enough password', role: 'viewer' }],
      ['POST', 'knowledge-bases', { kb_name: 'ghost' }],
      ['GET', 'api-keys', undefined],
      ['GET', 'usage', undefined],
    ])('admin: %s /tenants/<unknown>/%s → 404 NOT_FOUND, nothing written', async (method, sub, body) => {
      const ghost = randomUUID();
      const r = await t.http.request(method, `/api/v1/tenants/${ghost}/${sub}`, { as: t.admin, body });
      expectClientError(r, 404, 'NOT_FOUND');
      expect(r.body.error.message).toBe('The tenant was not found.');
    });
  });

  describe('bad UUIDs in paths', () => {
    it.each([
      ['GET', '/api/v1/tenants/not-a-uuid'],
      ['PATCH', '/api/v1/tenants/123'],
      ['DELETE', '/api/v1/tenants/%27%20OR%201=1--'],
      ['GET', '/api/v1/tenants/{A}/knowledge-bases/not-a-uuid'],
      ['GET', '/api/v1/tenants/{A}/api-keys/not-a-uuid'],
      ['DELETE', '/api/v1/tenants/{A}/api-keys/not-a-uuid'],
      ['GET', '/api/v1/tenants/{A}/users/not-a-uuid'],
      ['PATCH', '/api/v1/tenants/{A}/users/00000000-0000-0000-0000-00000000000g'],
    ])('admin: %s %s → 400 VALIDATION_ERROR', async (method, path) => {
      const r = await t.http.request(method, path.replace('{A}', A.tenantId), { as: t.admin, body: method === 'PATCH' ? {} : undefined });
      expectClientError(r, 400, 'VALIDATION_ERROR');
    });

    it('a tenant key: a malformed tenant id is not its tenant (403); a malformed sub-id in its own tenant is 400', async () => {
      expectClientError(await t.http.get('/api/v1/tenants/not-a-uuid/knowledge-bases', A.key), 403, 'FORBIDDEN');
      expectClientError(await t.http.get(`${T()}/knowledge-bases/not-a-uuid`, A.key), 400, 'VALIDATION_ERROR');
      expectClientError(await t.http.get(`${T()}/api-keys/not-a-uuid`, A.key), 400, 'VALIDATION_ERROR');
      expectClientError(await t.http.get(`${T()}/users/not-a-uuid`, A.key), 400, 'VALIDATION_ERROR');
    });

    it('a well-formed id that does not exist in the caller’s own tenant is 404; B’s id under A’s path is 404 too (not B’s data)', async () => {
      expectClientError(await t.http.get(`${T()}/knowledge-bases/${randomUUID()}`, A.key), 404, 'NOT_FOUND');
      expectClientError(await t.http.delete(`${T()}/knowledge-bases/${randomUUID()}`, A.key), 404, 'NOT_FOUND');
      expectClientError(await t.http.patch(`${T()}/knowledge-bases/${B.kbIds[0]}`, { description: 'x' }, A.key), 404, 'NOT_FOUND');
      expectClientError(await t.http.delete(`${T()}/knowledge-bases/${B.kbIds[0]}`, A.key), 404, 'NOT_FOUND');
      expectClientError(await t.http.get(`${T()}/api-keys/${B.key.keyId}`, A.key), 404, 'NOT_FOUND');
      expectClientError(await t.http.delete(`/api/v1/tenants/${randomUUID()}?purge=true`, t.admin), 404, 'NOT_FOUND');
      expect((await t.http.get(`/api/v1/tenants/${B.tenantId}/knowledge-bases/${B.kbIds[0]}`, B.key)).status).toBe(200);
    });
  });

  describe('bodies', () => {
    const long = 'x'.repeat(10_000);
    it.each([
      ['tenant: empty name', 'POST', '/api/v1/tenants', { tenant_name: '' }],
      ['tenant: blank name', 'POST', '/api/v1/tenants', { tenant_name: '   ' }],
      ['tenant: 10 000-char name', 'POST', '/api/v1/tenants', { tenant_name: long }],
      ['tenant: bad slug', 'POST', '/api/v1/tenants', { tenant_name: 'x', slug: 'Not A Slug' }],
      ['tenant: unknown tier', 'POST', '/api/v1/tenants', { tenant_name: 'x', tier: 'platinum' }],
      ['tenant: limits as an array', 'POST', '/api/v1/tenants', { tenant_name: 'x', limits: [1, 2] }],
      ['tenant: negative limit', 'POST', '/api/v1/tenants', { tenant_name: 'x', limits: { max_kb: -1 } }],
      ['tenant: name as an object', 'POST', '/api/v1/tenants', { tenant_name: { $ne: null } }],
      ['tenant: is_active as a string', 'PATCH', '/api/v1/tenants/{A}', { is_active: 'false' }],
      ['kb: empty name', 'POST', '/api/v1/tenants/{A}/knowledge-bases', { kb_name: '' }],
      ['kb: 10 000-char name', 'POST', '/api/v1/tenants/{A}/knowledge-bases', { kb_name: long }],
      ['kb: 10 000-char description', 'POST', '/api/v1/tenants/{A}/knowledge-bases', { kb_name: 'ok', description: long + long }],
      ['kb: name as an array', 'POST', '/api/v1/tenants/{A}/knowledge-bases', { kb_name: ['a', 'b'] }],
      ['kb: config as an array', 'POST', '/api/v1/tenants/{A}/knowledge-bases', { kb_name: 'ok', config: [{ top_k: 5 }] }],
      ['kb: config value as a string number', 'POST', '/api/v1/tenants/{A}/knowledge-bases', { kb_name: 'ok', config: { top_k: '5' } }],
      ['kb: overlap ≥ chunk size', 'POST', '/api/v1/tenants/{A}/knowledge-bases', { kb_name: 'ok', config: { chunk_token_size: 100, chunk_overlap_token_size: 100 } }],
      ['kb: unknown field', 'POST', '/api/v1/tenants/{A}/knowledge-bases', { kb_name: 'ok', tenant_id: '{B}' }],
      ['kb: body is an array', 'POST', '/api/v1/tenants/{A}/knowledge-bases', [{ kb_name: 'ok' }]],
      ['key: unknown permission', 'POST', '/api/v1/tenants/{A}/api-keys', { key_name: 'k', knowledge_base_ids: ['*'], permissions: ['kb:read', 'root'] }],
      ['key: permissions as a string', 'POST', '/api/v1/tenants/{A}/api-keys', { key_name: 'k', knowledge_base_ids: ['*'], permissions: 'kb:read' }],
      ['key: no permissions', 'POST', '/api/v1/tenants/{A}/api-keys', { key_name: 'k', knowledge_base_ids: ['*'], permissions: [] }],
      ['key: empty name', 'POST', '/api/v1/tenants/{A}/api-keys', { key_name: '', knowledge_base_ids: ['*'], permissions: ['kb:read'] }],
      ['key: 10 000-char name', 'POST', '/api/v1/tenants/{A}/api-keys', { key_name: long, knowledge_base_ids: ['*'], permissions: ['kb:read'] }],
      [
        'key: expires_at in the past',
        'POST',
        '/api/v1/tenants/{A}/api-keys',
        { key_name: 'k', knowledge_base_ids: ['*'], permissions: ['kb:read'], expires_at: '2020-01-01T00:00:00Z' },
      ],
      ['key: expires_at not a date', 'POST', '/api/v1/tenants/{A}/api-keys', { key_name: 'k', knowledge_base_ids: ['*'], permissions: ['kb:read'], expires_at: 'tomorrow' }],
      ['key: unknown KB id', 'POST', '/api/v1/tenants/{A}/api-keys', { key_name: 'k', knowledge_base_ids: ['{random}'], permissions: ['kb:read'] }],
      ['key: B’s KB id', 'POST', '/api/v1/tenants/{A}/api-keys', { key_name: 'k', knowledge_base_ids: ['{Bkb}'], permissions: ['kb:read'] }],
      ['key: "*" mixed with ids', 'POST', '/api/v1/tenants/{A}/api-keys', { key_name: 'k', knowledge_base_ids: ['*', '{Akb}'], permissions: ['kb:read'] }],
      ['key: no KBs', 'POST', '/api/v1/tenants/{A}/api-keys', { key_name: 'k', knowledge_base_ids: [], permissions: ['kb:read'] }],
      ['key: KB id not a UUID', 'POST', '/api/v1/tenants/{A}/api-keys', { key_name: 'k', knowledge_base_ids: ["'; DROP TABLE api_keys; --"], permissions: ['kb:read'] }],
      ['key: nested object as KB id', 'POST', '/api/v1/tenants/{A}/api-keys', { key_name: 'k', knowledge_base_ids: [{ id: '*' }], permissions: ['kb:read'] }],
      ['user: unknown role', 'POST', '/api/v1/tenants/{A}/users', { username: 'someone', password: 'long-enough-pw', role: 'admin' }],
      ['user: short password', 'POST', '/api/v1/tenants/{A}/users', { username: 'someone', password: 'short', role: 'viewer' }],
      ['user: 10 000-char password', 'POST', '/api/v1/tenants/{A}/users', { username: 'someone', password: long, role: 'viewer' }],
      ['user: 10 000-char username', 'POST', '/api/v1/tenants/{A}/users', { username: long, password: 'long-enough-pw', role: 'viewer' }],
      ['user: SQL in the username', 'POST', '/api/v1/tenants/{A}/users', { username: "x' OR 1=1 --", password: 'long-enough-pw', role: 'viewer' }],
    ])('%s → 400', async (_name, method, path, body) => {
      const fill = (s: string) =>
        s.replace('{A}', A.tenantId).replace('{B}', B.tenantId).replace('{Bkb}', B.kbIds[0]).replace('{Akb}', A.kbIds[0]).replace('{random}', randomUUID());
      const filled = JSON.parse(fill(JSON.stringify(body)));
      const r = await t.http.request(method, fill(path), { as: t.admin, body: filled });
      expectClientError(r, 400, 'VALIDATION_ERROR');
      if (!Array.isArray(body)) expect(r.body.error.details?.length ?? 1).toBeGreaterThan(0);
      // The unknown KB of another tenant is refused like any unknown id: nothing says it exists elsewhere.
      expect(r.text).not.toContain(B.key.keyId);
    });

    it('prototype-pollution keys are refused, not merged', async () => {
      const r = await t.http.request('POST', `${T()}/knowledge-bases`, {
        as: t.admin,
        raw: '{"kb_name":"proto","__proto__":{"admin":true}}',
        headers: { 'content-type': 'application/json' },
      });
      expect(r.status).toBe(400);
      const c = await t.http.request('POST', `${T()}/knowledge-bases`, {
        as: t.admin,
        raw: '{"kb_name":"proto","constructor":{"prototype":{"admin":true}}}',
        headers: { 'content-type': 'application/json' },
      });
      expect(c.status).toBe(400);
    });

    it('a NUL character in a name is a 400, not a database error', async () => {
      for (const [path, body] of [
        [`${T()}/knowledge-bases`, { kb_name: 'nul\u0000name' }],
        [`${T()}/knowledge-bases`, { kb_name: 'fine', description: 'nul\u0000description' }],
        ['/api/v1/tenants', { tenant_name: 'nul\u0000name' }],
        [`${T()}/api-keys`, { key_name: 'nul\u0000name', knowledge_base_ids: ['*'], permissions: ['kb:read'] }],
      ] as const) {
        const r = await t.http.post(path, body, t.admin);
        expectClientError(r, 400, 'VALIDATION_ERROR');
      }
    });

    it('a 1 MB name is refused quickly (validation is linear in the input)', async () => {
      for (const kb_name of ['x'.repeat(1_000_000) + '\u0000', ' '.repeat(1_000_000)]) {
        const started = Date.now();
        const r = await t.http.post(`${T()}/knowledge-bases`, { kb_name }, t.admin);
        expectClientError(r, 400, 'VALIDATION_ERROR');
        expect(Date.now() - started).toBeLessThan(2000);
      }
    });
  });

  describe('conflicts', () => {
    it('a duplicate KB name in the same tenant is 409 (case-insensitive), also by rename; the same name in another tenant is fine', async () => {
      const name = `Manuals ${randomUUID().slice(0, 6)}`;
      expect((await t.http.post(`${T()}/knowledge-bases`, { kb_name: name }, A.key)).status).toBe(201);
      expectClientError(await t.http.post(`${T()}/knowledge-bases`, { kb_name: name }, A.key), 409, 'CONFLICT');
      expectClientError(await t.http.post(`${T()}/knowledge-bases`, { kb_name: `  ${name.toUpperCase()} ` }, A.key), 409, 'CONFLICT');
      expectClientError(await t.http.patch(`${T()}/knowledge-bases/${A.kbIds[0]}`, { kb_name: name }, A.key), 409, 'CONFLICT');
      expect((await t.http.post(`/api/v1/tenants/${B.tenantId}/knowledge-bases`, { kb_name: name }, B.key)).status).toBe(201);
    });

    it('a duplicate slug is 409; a duplicate name gets a fresh slug', async () => {
      const slug = `acme-${randomUUID().slice(0, 6)}`;
      const first = await t.http.post('/api/v1/tenants', { tenant_name: 'Acme', slug }, t.admin);
      expect(first.status).toBe(201);
      expectClientError(await t.http.post('/api/v1/tenants', { tenant_name: 'Acme Two', slug }, t.admin), 409, 'CONFLICT');
      const again = await t.http.post('/api/v1/tenants', { tenant_name: 'Acme' }, t.admin);
      expect(again.status).toBe(201);
      expect(again.body.data.slug).not.toBe(first.body.data.slug);
    });

    it('a duplicate username is 409', async () => {
      const username = `dup-${randomUUID().slice(0, 6)}`;
      expect((await t.http.post(`${T()}/users`, { username, password: 'long-enough-pw', role: 'viewer' }, t.admin)).status).toBe(201);
      expectClientError(await t.http.post(`${T()}/users`, { username: username.toUpperCase(), password: 'long-enough-pw', role: 'viewer' }, t.admin), 409, 'CONFLICT');
    });
  });

  describe('hostile but valid strings are stored verbatim', () => {
    it.each([
      ['SQL', "Robert'); DROP TABLE knowledge_bases; --"],
      ['unicode', 'Ünïcödé 知识库 📚 مكتبة'],
      ['zero-width and RTL marks', 'a\u200bb\u202ec'],
      ['HTML', '<script>alert(1)</script>'],
      ['percent and backslash', '100% \\ %s %d ${x}'],
    ])('%s in a KB name', async (_name, kbName) => {
      const r = await t.http.post(`${T()}/knowledge-bases`, { kb_name: kbName, description: kbName }, A.key);
      expect(r.status).toBe(201);
      const got = await t.http.get(`${T()}/knowledge-bases/${r.body.data.kb_id}`, A.key);
      expect(got.body.data).toMatchObject({ kb_name: kbName, description: kbName });
      expect((await t.http.get(`/api/v1/tenants/${B.tenantId}/knowledge-bases`, B.key)).body.data.map((k: { kb_name: string }) => k.kb_name)).not.toContain(kbName);
    });
  });

  describe('pagination', () => {
    it.each([['limit=500'], ['limit=201'], ['limit=0'], ['limit=-1'], ['limit=abc'], ['limit=1.5'], ['offset=-1'], ['offset=abc'], ['limit=10&limit=20'], ['limit=1e3']])(
      '?%s → 400 on every tenancy list',
      async (qs) => {
        for (const list of ['knowledge-bases', 'api-keys', 'users']) expectClientError(await t.http.get(`${T()}/${list}?${qs}`, A.key), 400, 'VALIDATION_ERROR');
        expectClientError(await t.http.get(`/api/v1/tenants?${qs}`, t.admin), 400, 'VALIDATION_ERROR');
      },
    );

    it('limit and offset page the list and meta tells the total', async () => {
      const all = await t.http.get(`${T()}/knowledge-bases?limit=200`, A.key);
      const total = all.body.meta.total;
      expect(total).toBeGreaterThanOrEqual(2);
      const page = await t.http.get(`${T()}/knowledge-bases?limit=1&offset=1`, A.key);
      expect(page.status).toBe(200);
      expect(page.body.meta).toEqual({ total, limit: 1, offset: 1 });
      expect(page.body.data).toHaveLength(1);
      expect(page.body.data[0].kb_id).toBe(all.body.data[1].kb_id);
    });
  });
});
