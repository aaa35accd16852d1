import { randomUUID } from 'node:crypto';
import { ownLoopback, requestFrom } from '../support/http';
import { createKey, seedTenant, startTestApp, TestApp } from '../support/test-app';

const query = (t: TestApp, tenantId: string, kbId: string, as: { key?: string; token?: string }) =>
  t.http.post(`/api/v1/tenants/${tenantId}/knowledge-bases/${kbId}/query`, { query: 'what is here?', mode: 'naive', only_need_context: true }, as);

describe('operations: per-tenant rate limits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('a low query limit answers 429 RATE_LIMITED with Retry-After and RateLimit headers; the budget is the tenant’s, not the key’s', async () => {
    const a = await seedTenant(t, 'Limited A');
    const b = await seedTenant(t, 'Limited B');
    expect((await t.http.patch(`/api/v1/tenants/${a.tenantId}`, { limits: { queries_per_minute: 3 } }, t.admin)).status).toBe(200);
    const second = await createKey(t, a.tenantId, ['*'], ['query:run']);

    // Failed authentication never reaches the throttler (the AccessGuard runs first), so it spends nothing.
    for (let i = 0; i < 4; i++) expect((await query(t, a.tenantId, a.kbIds[0], { key: 'sk-wrong-key-0000000000000000000000000' })).status).toBe(401);

    const first = await query(t, a.tenantId, a.kbIds[0], a.key);
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-limit')).toBe('3');
    expect(first.headers.get('ratelimit-remaining')).toBe('2');
    expect(Number(first.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
    expect((await query(t, a.tenantId, a.kbIds[0], second)).status).toBe(200);
    expect((await query(t, a.tenantId, a.kbIds[0], a.key)).status).toBe(200);

    const refused = await query(t, a.tenantId, a.kbIds[0], second);
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('RATE_LIMITED');
    expect(refused.body.error.message).toMatch(/query budget/);
    const retry = Number(refused.headers.get('retry-after'));
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(60);
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');

    // Another tenant keeps its own budget; CRUD is a separate, larger budget.
    expect((await query(t, b.tenantId, b.kbIds[0], b.key)).status).toBe(200);
    expect((await t.http.get(`/api/v1/tenants/${a.tenantId}/knowledge-bases`, a.key)).status).toBe(200);
  });

  it('rate limiting runs after access control: refused requests (401, cross-tenant 403, missing permission 403) spend none of the tenant’s budget', async () => {
    const a = await seedTenant(t, 'Ordered A');
    const b = await seedTenant(t, 'Ordered B');
    expect((await t.http.patch(`/api/v1/tenants/${a.tenantId}`, { limits: { queries_per_minute: 2 } }, t.admin)).status).toBe(200);
    const noQuery = await createKey(t, a.tenantId, ['*'], ['kb:read']);
    for (let i = 0; i < 3; i++) {
      expect((await query(t, a.tenantId, a.kbIds[0], {})).status).toBe(401);
      expect((await query(t, a.tenantId, a.kbIds[0], b.key)).status).toBe(403);
      expect((await query(t, a.tenantId, a.kbIds[0], noQuery)).status).toBe(403);
    }
    const first = await query(t, a.tenantId, a.kbIds[0], a.key);
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-limit')).toBe('2');
    expect(first.headers.get('ratelimit-remaining')).toBe('1');
    expect((await query(t, a.tenantId, a.kbIds[0], a.key)).status).toBe(200);
    expect((await query(t, a.tenantId, a.kbIds[0], a.key)).status).toBe(429);
    // Once the budget is spent, a request that access control refuses is still refused by access control, not by the limiter.
    expect((await query(t, a.tenantId, a.kbIds[0], b.key)).status).toBe(403);
  });

  it('tiers set the default budget (trial = half of RATE_LIMIT_QUERIES_PER_MINUTE)', async () => {
    const created = await t.http.post('/api/v1/tenants', { tenant_name: `Trial ${randomUUID().slice(0, 8)}`, tier: 'trial' }, t.admin);
    const tenantId = created.body.data.tenant_id;
    const kb = await t.http.post(`/api/v1/tenants/${tenantId}/knowledge-bases`, { kb_name: 'k' }, t.admin);
    const key = await createKey(t, tenantId, ['*'], ['query:run', 'kb:read']);
    const r = await query(t, tenantId, kb.body.data.kb_id, key);
    expect(r.status).toBe(200);
    expect(r.headers.get('ratelimit-limit')).toBe('50');
    const crud = await t.http.get(`/api/v1/tenants/${tenantId}/knowledge-bases`, key);
    expect(crud.headers.get('ratelimit-limit')).toBe(String(50 * 20));
  });

  it('documents per hour are limited per tenant', async () => {
    const a = await seedTenant(t, 'Doc Limited');
    await t.http.patch(`/api/v1/tenants/${a.tenantId}`, { limits: { documents_per_hour: 2 } }, t.admin);
    const add = (n: number) =>
      t.http.post(`/api/v1/tenants/${a.tenantId}/knowledge-bases/${a.kbIds[0]}/documents/text`, { text: `Document number ${n} about rate limits.` }, a.key);
    expect((await add(1)).status).toBe(202);
    expect((await add(2)).status).toBe(202);
    const third = await add(3);
    expect(third.status).toBe(429);
    expect(third.body.error.code).toBe('RATE_LIMITED');
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(60);
  });

  it('CRUD routes share a generous per-tenant budget (20 × the query budget)', async () => {
    const a = await seedTenant(t, 'Crud Limited');
    await t.http.patch(`/api/v1/tenants/${a.tenantId}`, { limits: { queries_per_minute: 1 } }, t.admin);
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push((await t.http.get(`/api/v1/tenants/${a.tenantId}/knowledge-bases`, a.key)).status);
    expect(statuses.slice(0, 20).every((s) => s === 200)).toBe(true);
    expect(statuses[20]).toBe(429);
    // The admin is not held to the tenant's CRUD budget.
    expect((await t.http.get(`/api/v1/tenants/${a.tenantId}/knowledge-bases`, t.admin)).status).toBe(200);
  });
});

describe('operations: failed authentication is limited per client IP', () => {
  it('brute force on passwords and keys gets 429 after 20 failures, even with the right password', async () => {
    const t = await startTestApp();
    try {
      for (let i = 0; i < 12; i++) expect((await t.http.post('/api/v1/auth/login', { username: 'admin', password: `guess-${i}` })).status).toBe(401);
      for (let i = 0; i < 8; i++) expect((await t.http.get('/api/v1/tenants', { key: `sk-guess-${i}-00000000000000000000000000` })).status).toBe(401);
      await new Promise((r) => setTimeout(r, 50));
      const blocked = await t.http.post('/api/v1/auth/login', { username: 'admin', password: 'test-admin-password' });
      expect(blocked.status).toBe(429);
      expect(blocked.body.error.code).toBe('RATE_LIMITED');
      expect(blocked.body.error.request_id).toBe(blocked.headers.get('x-request-id'));
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
      // Operations endpoints stay reachable for probes.
      expect((await t.http.get('/health')).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});

const loginFrom = (url: string, from: string, body: Record<string, string>) => requestFrom(url, from, 'POST', '/api/v1/auth/login', { body });

describe('operations: parallel wrong passwords cannot outrun the failure limit (issue 11)', () => {
  const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

  it.each([
    ['in memory', {}],
    ['in Redis', { REDIS_URL: redisUrl }],
  ])('%s: 150 parallel wrong logins from one IP → at most 20 are 401, the rest 429 with Retry-After; the budget counts exactly 20', async (_name, env) => {
    const t = await startTestApp({ env: env as Record<string, string> });
    try {
      const ip = ownLoopback();
      const burst = await Promise.all(Array.from({ length: 150 }, (_, i) => loginFrom(t.url, ip, { username: 'admin', password: `parallel-guess-${i}` })));
      const unauthorized = burst.filter((r) => r.status === 401).length;
      const limited = burst.filter((r) => r.status === 429);
      expect(unauthorized).toBeGreaterThanOrEqual(1);
      expect(unauthorized).toBeLessThanOrEqual(20);
      expect(unauthorized + limited.length).toBe(150);
      for (const r of limited) {
        expect(r.code).toBe('RATE_LIMITED');
        expect(Number(r.retryAfter)).toBeGreaterThan(0);
      }
      // Refused-at-the-door attempts were not counted, every verified one was: the rest of the budget is exactly 20 − unauthorized.
      let more = 0;
      for (;;) {
        const r = await loginFrom(t.url, ip, { username: 'admin', password: `sequential-guess-${more}` });
        if (r.status !== 401) {
          expect(r.status).toBe(429);
          break;
        }
        more++;
      }
      expect(unauthorized + more).toBe(20);
      // Another address is not affected, and a right password there is refunded (does not use up that budget).
      const other = ownLoopback();
      for (let i = 0; i < 21; i++) expect((await loginFrom(t.url, other, { username: 'admin', password: 'test-admin-password' })).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('logins in flight are capped per username too: 24 parallel right passwords for one user from 24 addresses → some 429 (never more than 4 verified at once)', async () => {
    const t = await startTestApp();
    try {
      const results = await Promise.all(Array.from({ length: 24 }, () => loginFrom(t.url, ownLoopback(), { username: 'admin', password: 'test-admin-password' })));
      const ok = results.filter((r) => r.status === 200).length;
      expect(ok).toBeGreaterThanOrEqual(1);
      expect(ok).toBeLessThan(24);
      expect(results.filter((r) => r.status === 429 && r.code === 'RATE_LIMITED' && Number(r.retryAfter) > 0)).toHaveLength(24 - ok);
      // Once they are done, the slots are free again.
      expect((await loginFrom(t.url, ownLoopback(), { username: 'admin', password: 'test-admin-password' })).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});

describe('operations: with REDIS_URL two instances share one budget', () => {
  const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

  it('a tenant limited to 4 queries/min gets 4 in total across both instances', async () => {
    const one = await startTestApp({ env: { REDIS_URL: redisUrl } });
    const two = await startTestApp({ env: { REDIS_URL: redisUrl } });
    try {
      // The same tenant (same id) on both instances; the budget key is the tenant id, unique to this run.
      const a = await seedTenant(one, 'Shared Budget');
      await one.http.patch(`/api/v1/tenants/${a.tenantId}`, { limits: { queries_per_minute: 4 } }, one.admin);
      await two.db.dataSource.query(`INSERT INTO tenants (id, slug, name, settings) VALUES ($1, $2, 'Shared Budget', $3)`, [
        a.tenantId,
        `shared-${a.tenantId.slice(0, 8)}`,
        JSON.stringify({ limits: { queries_per_minute: 4 } }),
      ]);
      const kb2 = await two.http.post(`/api/v1/tenants/${a.tenantId}/knowledge-bases`, { kb_name: 'main' }, two.admin);
      const key2 = await createKey(two, a.tenantId, ['*'], ['query:run']);

      const statuses = [
        (await query(one, a.tenantId, a.kbIds[0], a.key)).status,
        (await query(two, a.tenantId, kb2.body.data.kb_id, key2)).status,
        (await query(one, a.tenantId, a.kbIds[0], a.key)).status,
        (await query(two, a.tenantId, kb2.body.data.kb_id, key2)).status,
        (await query(one, a.tenantId, a.kbIds[0], a.key)).status,
        (await query(two, a.tenantId, kb2.body.data.kb_id, key2)).status,
      ];
      expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    } finally {
      await one.close();
      await two.close();
    }
  });
});
