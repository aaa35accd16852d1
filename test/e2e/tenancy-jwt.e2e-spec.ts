import { randomUUID } from 'node:crypto';
import { b64, claimsOf, jwt as signJwt } from '../support/jwt';
import { ALL_PERMISSIONS, createKey, seedTenant, startTestApp, TestApp, TOKEN_SECRET } from '../support/test-app';

/** Signed with the test server's TOKEN_SECRET unless told otherwise. */
const jwt = (claims: Record<string, unknown>, opts: { secret?: string; alg?: string; header?: Record<string, unknown> } = {}) =>
  signJwt(claims, { ...opts, secret: opts.secret ?? TOKEN_SECRET });

describe('tenancy: JWTs and tenant users', () => {
  let t: TestApp;
  const PASSWORD = 'correct-horse-battery';
  const now = () => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  // Each user costs two argon2 runs (create, login): make only the roles a test uses.
  async function tenantWithUsers(label: string, roles: Array<'owner' | 'member' | 'viewer'>) {
    const s = seedTenant(t, `${label} ${randomUUID().slice(0, 6)}`);
    const seeded = await s;
    const users: Record<string, { id: string; username: string; token: string }> = {};
    for (const role of roles) {
      const username = `${role}-${randomUUID().slice(0, 8)}`;
      const created = await t.http.post(`/api/v1/tenants/${seeded.tenantId}/users`, { username, password: PASSWORD, role }, t.admin);
      expect(created.status).toBe(201);
      expect(created.body.data).toMatchObject({ username, role });
      expect(JSON.stringify(created.body)).not.toContain(PASSWORD);
      const login = await t.http.post('/api/v1/auth/login', { username, password: PASSWORD });
      expect(login.status).toBe(200);
      expect(login.body.data.token_type).toBe('bearer');
      users[role] = { id: created.body.data.user_id, username, token: login.body.data.access_token };
    }
    return { ...seeded, users };
  }

  it('a tenant user’s token carries tenant_id and role', async () => {
    const a = await tenantWithUsers('Claims', ['member']);
    const c = claimsOf(a.users.member.token);
    expect(c).toMatchObject({ tenant_id: a.tenantId, role: 'member', sub: a.users.member.id });
    expect(c.exp).toBeGreaterThan(now());
  });

  describe('forged and broken tokens → 401 UNAUTHENTICATED', () => {
    let a: Awaited<ReturnType<typeof tenantWithUsers>>;
    beforeAll(async () => {
      a = await tenantWithUsers('Forgery', ['owner', 'viewer']);
    });

    const cases: Array<[string, (x: typeof a) => string]> = [
      ['a wrong signature', (x) => jwt(claimsOf(x.users.viewer.token), { secret: 'another-secret-that-is-at-least-32-chars!' })],
      ['alg: none (unsigned)', (x) => jwt({ ...claimsOf(x.users.viewer.token), role: 'owner' }, { alg: 'none' })],
      ['alg: none with the original signature kept', (x) => `${b64({ alg: 'none', typ: 'JWT' })}.${x.users.viewer.token.split('.').slice(1).join('.')}`],
      ['an algorithm swap (HS512 while the server pins HS256)', (x) => jwt(claimsOf(x.users.viewer.token), { alg: 'HS512' })],
      ['an expired token', (x) => jwt({ ...claimsOf(x.users.owner.token), iat: now() - 7200, exp: now() - 3600 })],
      [
        'role claim tampered (viewer → owner), signature kept',
        (x) => {
          const [h, , s] = x.users.viewer.token.split('.');
          return `${h}.${b64({ ...claimsOf(x.users.viewer.token), role: 'owner' })}.${s}`;
        },
      ],
      ['role claim tampered and re-signed with a wrong key', (x) => jwt({ ...claimsOf(x.users.viewer.token), role: 'owner' }, { secret: 'x'.repeat(40) })],
      [
        'admin claims forged with a wrong key',
        (x) => jwt({ sub: x.users.owner.id, username: 'admin', kind: 'admin', role: 'admin', exp: now() + 600 }, { secret: 'y'.repeat(40) }),
      ],
      ['garbage', () => 'not.a.jwt'],
      ['an empty bearer', () => ''],
    ];
    it.each(cases)('%s', async (_name, make) => {
      const token = make(a);
      const r = await t.http.get(`/api/v1/tenants/${a.tenantId}/knowledge-bases`, { token });
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe('UNAUTHENTICATED');
    });

    it('tenant_id claim tampered to another tenant, signature kept → 401', async () => {
      const b = await seedTenant(t, `Victim ${randomUUID().slice(0, 6)}`);
      const [h, , s] = a.users.owner.token.split('.');
      const token = `${h}.${b64({ ...claimsOf(a.users.owner.token), tenant_id: b.tenantId })}.${s}`;
      const r = await t.http.get(`/api/v1/tenants/${b.tenantId}/knowledge-bases`, { token });
      expect(r.status).toBe(401);
      expect(r.text).not.toContain(b.kbIds[0]);
    });

    it('even a validly signed token naming another tenant for this user is refused (the user must exist in that tenant)', async () => {
      const b = await seedTenant(t, `Victim ${randomUUID().slice(0, 6)}`);
      const token = jwt({ ...claimsOf(a.users.owner.token), tenant_id: b.tenantId });
      const r = await t.http.get(`/api/v1/tenants/${b.tenantId}/knowledge-bases`, { token });
      expect(r.status).toBe(401);
      expect(r.text).not.toContain(b.kbIds[0]);
    });
  });

  it('tenant A’s owner token on tenant B → 403 FORBIDDEN (never 404, never data)', async () => {
    const a = await tenantWithUsers('Alpha', ['owner']);
    const b = await seedTenant(t, `Bravo ${randomUUID().slice(0, 6)}`);
    for (const path of [
      `/api/v1/tenants/${b.tenantId}`,
      `/api/v1/tenants/${b.tenantId}/knowledge-bases`,
      `/api/v1/tenants/${b.tenantId}/knowledge-bases/${b.kbIds[0]}`,
      `/api/v1/tenants/${b.tenantId}/api-keys`,
    ]) {
      const r = await t.http.get(path, { token: a.users.owner.token });
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('FORBIDDEN');
      expect(r.text).not.toContain(b.kbIds[0]);
    }
  });

  it('viewer: reads, but cannot create a KB, change the tenant, manage keys or users', async () => {
    const a = await tenantWithUsers('Viewer', ['viewer']);
    const as = { token: a.users.viewer.token };
    expect((await t.http.get(`/api/v1/tenants/${a.tenantId}`, as)).status).toBe(200);
    expect((await t.http.get(`/api/v1/tenants/${a.tenantId}/knowledge-bases`, as)).status).toBe(200);
    expect((await t.http.get(`/api/v1/tenants/${a.tenantId}/knowledge-bases/${a.kbIds[0]}`, as)).status).toBe(200);
    for (const [method, path, body] of [
      ['POST', `/api/v1/tenants/${a.tenantId}/knowledge-bases`, { kb_name: 'nope' }],
      ['PATCH', `/api/v1/tenants/${a.tenantId}/knowledge-bases/${a.kbIds[0]}`, { description: 'nope' }],
      ['DELETE', `/api/v1/tenants/${a.tenantId}/knowledge-bases/${a.kbIds[0]}`, undefined],
      ['PATCH', `/api/v1/tenants/${a.tenantId}`, { description: 'nope' }],
      ['GET', `/api/v1/tenants/${a.tenantId}/api-keys`, undefined],
      ['GET', `/api/v1/tenants/${a.tenantId}/users`, undefined],
    ] as const) {
      const r = await t.http.request(method, path, { as, body });
      expect({ method, path, status: r.status, code: r.body.error?.code }).toEqual({ method, path, status: 403, code: 'FORBIDDEN' });
    }
  });

  it('member: creates and edits KBs, but cannot delete them, manage keys or users', async () => {
    const a = await tenantWithUsers('Member', ['member']);
    const as = { token: a.users.member.token };
    const kb = await t.http.post(`/api/v1/tenants/${a.tenantId}/knowledge-bases`, { kb_name: 'by member' }, as);
    expect(kb.status).toBe(201);
    expect((await t.http.patch(`/api/v1/tenants/${a.tenantId}/knowledge-bases/${kb.body.data.kb_id}`, { description: 'edited' }, as)).status).toBe(200);
    for (const [method, path, body] of [
      ['DELETE', `/api/v1/tenants/${a.tenantId}/knowledge-bases/${kb.body.data.kb_id}`, undefined],
      ['POST', `/api/v1/tenants/${a.tenantId}/api-keys`, { key_name: 'm', knowledge_base_ids: ['*'], permissions: ['kb:read'] }],
      ['POST', `/api/v1/tenants/${a.tenantId}/api-keys`, { key_name: 'm', knowledge_base_ids: ['*'], permissions: ['apikey:manage'] }],
      ['GET', `/api/v1/tenants/${a.tenantId}/api-keys`, undefined],
      ['POST', `/api/v1/tenants/${a.tenantId}/users`, { username: `m-${randomUUID().slice(0, 6)}`, password: PASSWORD, role: 'viewer' }],
      ['PATCH', `/api/v1/tenants/${a.tenantId}`, { description: 'nope' }],
    ] as const) {
      const r = await t.http.request(method, path, { as, body });
      expect({ method, path, status: r.status }).toEqual({ method, path, status: 403 });
    }
  });

  it('owner: manages KBs, keys and users of its tenant, but may not suspend it', async () => {
    const a = await tenantWithUsers('Owner', ['owner']);
    const as = { token: a.users.owner.token };
    const kb = await t.http.post(`/api/v1/tenants/${a.tenantId}/knowledge-bases`, { kb_name: 'by owner' }, as);
    expect(kb.status).toBe(201);
    const key = await t.http.post(`/api/v1/tenants/${a.tenantId}/api-keys`, { key_name: 'o', knowledge_base_ids: ['*'], permissions: ['apikey:manage', 'kb:read'] }, as);
    expect(key.status).toBe(201);
    expect(key.body.data.created_by).toBe(`user:${a.users.owner.id}`);
    const user = await t.http.post(`/api/v1/tenants/${a.tenantId}/users`, { username: `o-${randomUUID().slice(0, 6)}`, password: PASSWORD, role: 'owner' }, as);
    expect(user.status).toBe(201);
    expect((await t.http.get(`/api/v1/tenants/${a.tenantId}/users`, as)).body.data).toHaveLength(2);
    expect((await t.http.patch(`/api/v1/tenants/${a.tenantId}`, { description: 'ours' }, as)).status).toBe(200);
    expect((await t.http.delete(`/api/v1/tenants/${a.tenantId}/knowledge-bases/${kb.body.data.kb_id}`, as)).status).toBe(200);
    const suspend = await t.http.patch(`/api/v1/tenants/${a.tenantId}`, { is_active: false }, as);
    expect(suspend.status).toBe(403);
    expect((await t.http.patch(`/api/v1/tenants/${a.tenantId}`, { tier: 'enterprise' }, as)).status).toBe(403);
    expect((await t.http.get(`/api/v1/tenants`, as)).status).toBe(403);
  });

  it('a demoted user loses the old role at once, though the token still says owner', async () => {
    const a = await tenantWithUsers('Demotion', ['owner']);
    const as = { token: a.users.owner.token };
    expect((await t.http.get(`/api/v1/tenants/${a.tenantId}/api-keys`, as)).status).toBe(200);
    const demote = await t.http.patch(`/api/v1/tenants/${a.tenantId}/users/${a.users.owner.id}`, { role: 'viewer' }, t.admin);
    expect(demote.status).toBe(200);
    const r = await t.http.get(`/api/v1/tenants/${a.tenantId}/api-keys`, as);
    expect(r.status).toBe(403);
    const mint = await t.http.post(`/api/v1/tenants/${a.tenantId}/api-keys`, { key_name: 'x', knowledge_base_ids: ['*'], permissions: ['kb:read'] }, as);
    expect(mint.status).toBe(403);
    expect((await t.http.get(`/api/v1/tenants/${a.tenantId}/knowledge-bases`, as)).status).toBe(200);
  });

  it('a disabled or deleted user’s token stops working at once (401)', async () => {
    const a = await tenantWithUsers('Disabled', ['member', 'viewer']);
    expect((await t.http.get(`/api/v1/tenants/${a.tenantId}`, { token: a.users.member.token })).status).toBe(200);
    expect((await t.http.patch(`/api/v1/tenants/${a.tenantId}/users/${a.users.member.id}`, { is_active: false }, t.admin)).status).toBe(200);
    expect((await t.http.get(`/api/v1/tenants/${a.tenantId}`, { token: a.users.member.token })).status).toBe(401);
    expect((await t.http.post('/api/v1/auth/login', { username: a.users.member.username, password: PASSWORD })).status).toBe(401);
    expect((await t.http.get(`/api/v1/tenants/${a.tenantId}`, { token: a.users.viewer.token })).status).toBe(200);
    expect((await t.http.delete(`/api/v1/tenants/${a.tenantId}/users/${a.users.viewer.id}`, t.admin)).status).toBe(200);
    expect((await t.http.get(`/api/v1/tenants/${a.tenantId}`, { token: a.users.viewer.token })).status).toBe(401);
  });

  it('a member cannot promote itself or reset an owner’s password', async () => {
    const a = await tenantWithUsers('Escalation', ['owner', 'member']);
    const as = { token: a.users.member.token };
    expect((await t.http.patch(`/api/v1/tenants/${a.tenantId}/users/${a.users.member.id}`, { role: 'owner' }, as)).status).toBe(403);
    expect((await t.http.patch(`/api/v1/tenants/${a.tenantId}/users/${a.users.owner.id}`, { password: 'hijacked-password' }, as)).status).toBe(403);
    expect((await t.http.post('/api/v1/auth/login', { username: a.users.owner.username, password: 'hijacked-password' })).status).toBe(401);
  });

  it('a KB-scoped key cannot create, re-role or take over users (users reach every KB)', async () => {
    const a = await tenantWithUsers('ScopedUsers', ['owner', 'viewer']);
    const kb2 = await t.http.post(`/api/v1/tenants/${a.tenantId}/knowledge-bases`, { kb_name: 'second' }, t.admin);
    const scoped = await createKey(t, a.tenantId, [a.kbIds[0]], ALL_PERMISSIONS);
    const username = `escalate-${randomUUID().slice(0, 6)}`;
    const created = await t.http.post(`/api/v1/tenants/${a.tenantId}/users`, { username, password: PASSWORD, role: 'owner' }, scoped);
    expect(created.status).toBe(403);
    const reset = await t.http.patch(`/api/v1/tenants/${a.tenantId}/users/${a.users.owner.id}`, { password: 'hijacked-password' }, scoped);
    expect(reset.status).toBe(403);
    const promote = await t.http.patch(`/api/v1/tenants/${a.tenantId}/users/${a.users.viewer.id}`, { role: 'owner' }, scoped);
    expect(promote.status).toBe(403);
    expect((await t.http.delete(`/api/v1/tenants/${a.tenantId}/users/${a.users.viewer.id}`, scoped)).status).toBe(403);
    // The owner's password is unchanged and KB2 stays out of the scoped key's reach.
    expect((await t.http.post('/api/v1/auth/login', { username: a.users.owner.username, password: PASSWORD })).status).toBe(200);
    expect((await t.http.get(`/api/v1/tenants/${a.tenantId}/knowledge-bases/${kb2.body.data.kb_id}`, scoped)).status).toBe(403);
    // A tenant-wide key with the same permissions may manage users.
    const wide = await createKey(t, a.tenantId, ['*'], ALL_PERMISSIONS);
    expect((await t.http.post(`/api/v1/tenants/${a.tenantId}/users`, { username, password: PASSWORD, role: 'viewer' }, wide)).status).toBe(201);
  });
});
