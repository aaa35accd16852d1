import { randomUUID } from 'node:crypto';
import { ROLE_PERMISSIONS } from '../../src/context/permissions';
import { claimsOf } from '../support/jwt';
import { ALL_PERMISSIONS, seedTenant, startTestApp, TestApp } from '../support/test-app';

/** GET /api/v1/auth/me: who the caller is and what it may do, from the server's current state (not the token's claims). */
describe('auth: GET /auth/me', () => {
  let t: TestApp;
  const PASSWORD = 'correct-horse-battery';
  const ME = '/api/v1/auth/me';

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  const fresh = (label: string, kbs = ['one', 'two']) => seedTenant(t, `${label} ${randomUUID().slice(0, 6)}`, kbs);

  async function userIn(tenantId: string, role: 'owner' | 'member' | 'viewer') {
    const username = `${role}-${randomUUID().slice(0, 8)}`;
    const created = await t.http.post(`/api/v1/tenants/${tenantId}/users`, { username, password: PASSWORD, role }, t.admin);
    expect(created.status).toBe(201);
    const login = await t.http.post('/api/v1/auth/login', { username, password: PASSWORD });
    expect(login.status).toBe(200);
    return { id: created.body.data.user_id as string, username, token: login.body.data.access_token as string };
  }

  function expectUnauthenticated(r: { status: number; body: any; headers: Headers }) {
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ status: 'error', error: { code: 'UNAUTHENTICATED', message: expect.any(String), request_id: r.headers.get('x-request-id') } });
  }

  it('the platform admin: kind admin, no tenant, every permission', async () => {
    const r = await t.http.get(ME, t.admin);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      status: 'success',
      data: {
        kind: 'admin',
        id: claimsOf(t.admin.token!).sub,
        username: 'admin',
        key_name: null,
        key_prefix: null,
        tenant_id: null,
        role: 'admin',
        permissions: ALL_PERMISSIONS,
        knowledge_base_ids: null,
        expires_at: null,
      },
    });
  });

  it('a tenant user: kind user, its tenant, its role and that role’s permissions', async () => {
    const a = await fresh('MeUser');
    const member = await userIn(a.tenantId, 'member');
    const r = await t.http.get(ME, { token: member.token });
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual({
      kind: 'user',
      id: member.id,
      username: member.username,
      key_name: null,
      key_prefix: null,
      tenant_id: a.tenantId,
      role: 'member',
      permissions: [...ROLE_PERMISSIONS.member],
      knowledge_base_ids: null,
      expires_at: null,
    });
  });

  it('an API key (X-API-Key or Bearer sk-…): its name, prefix, tenant, permissions, KB scope and expiry; never the key itself', async () => {
    const a = await fresh('MeKey');
    const expires = new Date(Date.now() + 86_400_000).toISOString();
    const created = await t.http.post(
      `/api/v1/tenants/${a.tenantId}/api-keys`,
      { key_name: 'support-bot', knowledge_base_ids: [a.kbIds[0]], permissions: ['query:run', 'document:read'], expires_at: expires },
      t.admin,
    );
    expect(created.status).toBe(201);
    const key: string = created.body.data.key;
    for (const as of [{ key }, { token: key }]) {
      const r = await t.http.get(ME, as);
      expect(r.status).toBe(200);
      expect(r.body.data).toEqual({
        kind: 'api_key',
        id: created.body.data.key_id,
        username: null,
        key_name: 'support-bot',
        key_prefix: created.body.data.key_prefix,
        tenant_id: a.tenantId,
        role: null,
        permissions: ['query:run', 'document:read'],
        knowledge_base_ids: [a.kbIds[0]],
        expires_at: new Date(expires).toISOString(),
      });
      expect(r.text).not.toContain(key);
    }
    // The seeded all-KB key without an expiry.
    const every = await t.http.get(ME, a.key);
    expect(every.body.data).toMatchObject({ kind: 'api_key', id: a.key.keyId, knowledge_base_ids: ['*'], expires_at: null, permissions: ALL_PERMISSIONS });
  });

  it('a demoted user sees the new role and permissions at once, though the token still says owner', async () => {
    const a = await fresh('MeDemote');
    const owner = await userIn(a.tenantId, 'owner');
    const before = await t.http.get(ME, { token: owner.token }); // the user's state is now cached
    expect(before.body.data).toMatchObject({ role: 'owner', permissions: ALL_PERMISSIONS });
    expect((await t.http.patch(`/api/v1/tenants/${a.tenantId}/users/${owner.id}`, { role: 'viewer' }, t.admin)).status).toBe(200);
    const after = await t.http.get(ME, { token: owner.token });
    expect(after.status).toBe(200);
    expect(after.body.data).toMatchObject({ kind: 'user', id: owner.id, role: 'viewer', permissions: [...ROLE_PERMISSIONS.viewer] });
    expect(claimsOf(owner.token).role).toBe('owner');
    // Promoted back: the same token shows owner again.
    expect((await t.http.patch(`/api/v1/tenants/${a.tenantId}/users/${owner.id}`, { role: 'owner' }, t.admin)).status).toBe(200);
    expect((await t.http.get(ME, { token: owner.token })).body.data.role).toBe('owner');
  });

  it('a disabled user is refused (401 in the envelope)', async () => {
    const a = await fresh('MeDisabled');
    const member = await userIn(a.tenantId, 'member');
    expect((await t.http.get(ME, { token: member.token })).status).toBe(200);
    expect((await t.http.patch(`/api/v1/tenants/${a.tenantId}/users/${member.id}`, { is_active: false }, t.admin)).status).toBe(200);
    expectUnauthenticated(await t.http.get(ME, { token: member.token }));
  });

  it('a revoked key is refused (401 in the envelope)', async () => {
    const a = await fresh('MeRevoked');
    expect((await t.http.get(ME, a.key)).status).toBe(200); // the key is now cached
    expect((await t.http.delete(`/api/v1/tenants/${a.tenantId}/api-keys/${a.key.keyId}`, t.admin)).status).toBe(200);
    expectUnauthenticated(await t.http.get(ME, a.key));
  });

  it('no credentials, a malformed token or an unknown key → 401 in the envelope', async () => {
    expectUnauthenticated(await t.http.get(ME));
    expectUnauthenticated(await t.http.get(ME, { token: 'not-a-jwt' }));
    expectUnauthenticated(await t.http.get(ME, { key: `sk-${'A'.repeat(43)}` }));
  });

  it('a user or key of a suspended tenant gets 403 TENANT_SUSPENDED, as on every route', async () => {
    const a = await fresh('MeSuspended');
    const viewer = await userIn(a.tenantId, 'viewer');
    expect((await t.http.patch(`/api/v1/tenants/${a.tenantId}`, { is_active: false }, t.admin)).status).toBe(200);
    for (const as of [a.key, { token: viewer.token }]) {
      const r = await t.http.get(ME, as);
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('TENANT_SUSPENDED');
    }
  });

  it('is a read: not audited, and counted in the tenant’s CRUD rate limit like other reads', async () => {
    const a = await fresh('MeAudit');
    const auditPath = `/api/v1/tenants/${a.tenantId}/audit-logs?limit=200`;
    const before = (await t.http.get(auditPath, t.admin)).body.meta.total;
    const r = await t.http.get(ME, a.key);
    expect(r.status).toBe(200);
    expect(r.headers.get('ratelimit-limit')).toEqual(expect.any(String));
    expect((await t.http.get(auditPath, t.admin)).body.meta.total).toBe(before);
  });
});
