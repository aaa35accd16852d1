import { randomUUID } from 'node:crypto';
import type { Credentials } from '../support/http';
import { seedTenant, startTestApp, TestApp } from '../support/test-app';

describe('tenancy: suspension, soft deletion and purge', () => {
  let t: TestApp;
  const PASSWORD = 'correct-horse-battery';

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  async function tenantWithOwner(label: string) {
    const s = await seedTenant(t, `${label} ${randomUUID().slice(0, 6)}`, ['one']);
    const username = `owner-${randomUUID().slice(0, 8)}`;
    const u = await t.http.post(`/api/v1/tenants/${s.tenantId}/users`, { username, password: PASSWORD, role: 'owner' }, t.admin);
    expect(u.status).toBe(201);
    const token = (await t.http.post('/api/v1/auth/login', { username, password: PASSWORD })).body.data.access_token as string;
    return { ...s, username, userId: u.body.data.user_id as string, owner: { token } as Credentials };
  }

  const kbs = (tenantId: string) => `/api/v1/tenants/${tenantId}/knowledge-bases`;

  async function expectSuspended(tenantId: string, as: Credentials) {
    const r = await t.http.get(kbs(tenantId), as);
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('TENANT_SUSPENDED');
  }

  it('suspending a tenant stops its keys and users at once (403 TENANT_SUSPENDED); reactivating restores them at once', async () => {
    const a = await tenantWithOwner('Suspend');
    const other = await tenantWithOwner('Bystander');
    // Warm the 5 s status caches first, so "at once" is really tested.
    expect((await t.http.get(kbs(a.tenantId), a.key)).status).toBe(200);
    expect((await t.http.get(kbs(a.tenantId), a.owner)).status).toBe(200);

    const off = await t.http.patch(`/api/v1/tenants/${a.tenantId}`, { is_active: false }, t.admin);
    expect(off.status).toBe(200);
    expect(off.body.data.is_active).toBe(false);
    await expectSuspended(a.tenantId, a.key);
    await expectSuspended(a.tenantId, a.owner);
    // Every route, not just reads; and a fresh login is refused too.
    const write = await t.http.post(kbs(a.tenantId), { kb_name: 'while suspended' }, a.key);
    expect(write.body.error.code).toBe('TENANT_SUSPENDED');
    const login = await t.http.post('/api/v1/auth/login', { username: a.username, password: PASSWORD });
    expect(login.status).toBe(403);
    expect(login.body.error.code).toBe('TENANT_SUSPENDED');
    // Other tenants are unaffected; the admin still sees the tenant.
    expect((await t.http.get(kbs(other.tenantId), other.key)).status).toBe(200);
    expect((await t.http.get(`/api/v1/tenants/${a.tenantId}`, t.admin)).body.data.is_active).toBe(false);

    const on = await t.http.patch(`/api/v1/tenants/${a.tenantId}`, { is_active: true }, t.admin);
    expect(on.status).toBe(200);
    expect((await t.http.get(kbs(a.tenantId), a.key)).status).toBe(200);
    expect((await t.http.get(kbs(a.tenantId), a.owner)).status).toBe(200);
    expect((await t.http.post('/api/v1/auth/login', { username: a.username, password: PASSWORD })).status).toBe(200);
  });

  it('a soft-deleted tenant’s credentials get 403 TENANT_SUSPENDED; the admin can still read it, listings hide it', async () => {
    const a = await tenantWithOwner('SoftDelete');
    expect((await t.http.get(kbs(a.tenantId), a.key)).status).toBe(200);
    const del = await t.http.delete(`/api/v1/tenants/${a.tenantId}`, t.admin);
    expect(del.status).toBe(200);
    expect(del.body.data.deleted_at).toEqual(expect.any(String));
    await expectSuspended(a.tenantId, a.key);
    await expectSuspended(a.tenantId, a.owner);
    const listed = await t.http.get('/api/v1/tenants?limit=200', t.admin);
    expect(listed.body.data.map((x: { tenant_id: string }) => x.tenant_id)).not.toContain(a.tenantId);
    const withDeleted = await t.http.get('/api/v1/tenants?limit=200&include_deleted=true', t.admin);
    expect(withDeleted.body.data.map((x: { tenant_id: string }) => x.tenant_id)).toContain(a.tenantId);
    // Deleted is not suspended: it cannot be reactivated by PATCH, and a second soft delete is a 404.
    expect((await t.http.patch(`/api/v1/tenants/${a.tenantId}`, { is_active: true }, t.admin)).status).toBe(404);
    await expectSuspended(a.tenantId, a.key);
    expect((await t.http.delete(`/api/v1/tenants/${a.tenantId}`, t.admin)).status).toBe(404);
  });

  it('the admin’s tenant list filters by ?search= (name or slug, case-insensitive, wildcards literal) and pages the matches', async () => {
    const tag = randomUUID().slice(0, 8);
    const made: string[] = [];
    for (const name of [`Findme ${tag} one`, `findme ${tag} two`, `FINDME ${tag} three`]) {
      const r = await t.http.post('/api/v1/tenants', { tenant_name: name }, t.admin);
      expect(r.status).toBe(201);
      made.push(r.body.data.tenant_id);
    }
    const page1 = await t.http.get(`/api/v1/tenants?search=${encodeURIComponent(`FINDME ${tag}`)}&limit=2`, t.admin);
    expect(page1.status).toBe(200);
    expect(page1.body.meta).toEqual({ total: 3, limit: 2, offset: 0 });
    const page2 = await t.http.get(`/api/v1/tenants?search=${encodeURIComponent(`findme ${tag}`)}&limit=2&offset=2`, t.admin);
    expect([...page1.body.data, ...page2.body.data].map((x: { tenant_id: string }) => x.tenant_id).sort()).toEqual([...made].sort());
    // The slug is searched too (derived from the name: dashes for spaces).
    expect((await t.http.get(`/api/v1/tenants?search=findme-${tag}-two`, t.admin)).body.meta.total).toBe(1);
    // % and _ are literal, not LIKE wildcards; NUL is a 400, not a database error.
    expect((await t.http.get(`/api/v1/tenants?search=${encodeURIComponent('%')}${tag}`, t.admin)).body.meta.total).toBe(0);
    expect((await t.http.get(`/api/v1/tenants?search=findme_${tag}`, t.admin)).body.meta.total).toBe(0);
    const nul = await t.http.get(`/api/v1/tenants?search=a%00b`, t.admin);
    expect(nul.status).toBe(400);
    expect(nul.body.error.code).toBe('VALIDATION_ERROR');
  });

  it('purge removes every row of the tenant, and nothing of another tenant', async () => {
    const a = await tenantWithOwner('Purge');
    const b = await tenantWithOwner('Keep');
    const tables: Array<{ table_name: string }> = await t.db.dataSource.query(
      `SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'tenant_id' ORDER BY 1`,
    );
    const count = async (tenantId: string) => {
      const out: Record<string, number> = {};
      for (const { table_name } of tables) out[table_name] = (await t.db.dataSource.query(`SELECT count(*)::int AS n FROM "${table_name}" WHERE tenant_id = $1`, [tenantId]))[0].n;
      out.tenants = (await t.db.dataSource.query(`SELECT count(*)::int AS n FROM tenants WHERE id = $1`, [tenantId]))[0].n;
      return out;
    };
    const before = await count(a.tenantId);
    expect(before).toMatchObject({ tenants: 1, knowledge_bases: 1, users: 1, api_keys: 1 });
    const bBefore = await count(b.tenantId);

    // Soft delete first, then purge (the usual path), as the admin.
    expect((await t.http.delete(`/api/v1/tenants/${a.tenantId}`, t.admin)).status).toBe(200);
    const purge = await t.http.delete(`/api/v1/tenants/${a.tenantId}?purge=true`, t.admin);
    expect(purge.status).toBe(200);
    expect(purge.body.data).toEqual({ tenant_id: a.tenantId, purged: true });
    const after = await count(a.tenantId);
    expect(Object.values(after).every((n) => n === 0)).toBe(true);
    expect(await count(b.tenantId)).toEqual(bBefore);

    // Its key is now unknown; a purge of a tenant that is gone is a 404.
    const r = await t.http.get(kbs(a.tenantId), a.key);
    expect(r.status).toBe(401);
    expect((await t.http.delete(`/api/v1/tenants/${a.tenantId}?purge=true`, t.admin)).status).toBe(404);
    expect((await t.http.get(`/api/v1/tenants/${a.tenantId}`, t.admin)).status).toBe(404);
    expect((await t.http.post('/api/v1/auth/login', { username: a.username, password: PASSWORD })).status).toBe(401);
  });

  it('a tenant cannot suspend, delete or purge itself or another tenant', async () => {
    const a = await tenantWithOwner('SelfHarm');
    const b = await tenantWithOwner('Target');
    for (const as of [a.key, a.owner]) {
      expect((await t.http.patch(`/api/v1/tenants/${a.tenantId}`, { is_active: false }, as)).status).toBe(403);
      expect((await t.http.patch(`/api/v1/tenants/${b.tenantId}`, { is_active: false }, as)).status).toBe(403);
      expect((await t.http.delete(`/api/v1/tenants/${a.tenantId}?purge=true`, as)).status).toBe(403);
      expect((await t.http.delete(`/api/v1/tenants/${b.tenantId}`, as)).status).toBe(403);
    }
    expect((await t.http.get(kbs(a.tenantId), a.key)).status).toBe(200);
    expect((await t.http.get(kbs(b.tenantId), b.key)).status).toBe(200);
  });
});
