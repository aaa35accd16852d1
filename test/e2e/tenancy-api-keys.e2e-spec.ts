import { randomBytes, randomUUID } from 'node:crypto';
import { ApiKeyAuthenticator } from '../../src/auth/api-key-authenticator';
import { ALL_PERMISSIONS, createKey, seedTenant, startTestApp, TestApp } from '../support/test-app';

describe('tenancy: API keys', () => {
  let t: TestApp;
  const kbsPath = (tenantId: string) => `/api/v1/tenants/${tenantId}/knowledge-bases`;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  const fresh = (label: string, kbs = ['one', 'two']) => seedTenant(t, `${label} ${randomUUID().slice(0, 6)}`, kbs);

  it('works as X-API-Key and as Authorization: Bearer sk-…', async () => {
    const a = await fresh('Headers');
    expect((await t.http.get(kbsPath(a.tenantId), { key: a.key.key })).status).toBe(200);
    expect((await t.http.get(kbsPath(a.tenantId), { token: a.key.key })).status).toBe(200);
  });

  it('a revoked key is refused immediately after DELETE (401 UNAUTHENTICATED)', async () => {
    const a = await fresh('Revoke');
    const k = await createKey(t, a.tenantId, ['*'], ['kb:read']);
    expect((await t.http.get(kbsPath(a.tenantId), k)).status).toBe(200); // now in the 5 s cache
    const revoked = await t.http.delete(`/api/v1/tenants/${a.tenantId}/api-keys/${k.keyId}`, a.key);
    expect(revoked.status).toBe(200);
    expect(revoked.body.data.revoked_at).toEqual(expect.any(String));
    const r = await t.http.get(kbsPath(a.tenantId), k);
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('UNAUTHENTICATED');
    // Revoking again is harmless; the revocation time does not move.
    const again = await t.http.delete(`/api/v1/tenants/${a.tenantId}/api-keys/${k.keyId}`, a.key);
    expect(again.body.data.revoked_at).toBe(revoked.body.data.revoked_at);
  });

  it('an expired key is refused (401), even while cached', async () => {
    const a = await fresh('Expiry');
    const expires = new Date(Date.now() + 1500).toISOString();
    const created = await t.http.post(
      `/api/v1/tenants/${a.tenantId}/api-keys`,
      { key_name: 'short-lived', knowledge_base_ids: ['*'], permissions: ['kb:read'], expires_at: expires },
      a.key,
    );
    expect(created.status).toBe(201);
    expect(new Date(created.body.data.expires_at).getTime()).toBe(new Date(expires).getTime());
    const key = { key: created.body.data.key };
    expect((await t.http.get(kbsPath(a.tenantId), key)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1700));
    const r = await t.http.get(kbsPath(a.tenantId), key);
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('a key whose expiry is moved into the past in the database is refused once the cache lapses', async () => {
    const a = await fresh('ExpirySql');
    const k = await createKey(t, a.tenantId, ['*'], ['kb:read']);
    await t.db.dataSource.query(`UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE id = $1`, [k.keyId]);
    t.app.get(ApiKeyAuthenticator).forgetAll(); // as another replica would see it after the 5 s TTL
    expect((await t.http.get(kbsPath(a.tenantId), k)).status).toBe(401);
  });

  it('graph:write is no permission (no route needs it): creating a key with it is 400; a stored key carrying it keeps working without it', async () => {
    const a = await fresh('GraphWrite');
    const refused = await t.http.post(`/api/v1/tenants/${a.tenantId}/api-keys`, { key_name: 'gw', knowledge_base_ids: ['*'], permissions: ['graph:read', 'graph:write'] }, t.admin);
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('VALIDATION_ERROR');
    const k = await createKey(t, a.tenantId, ['*'], ['kb:read', 'apikey:manage']);
    // As a key stored by an older version would be.
    await t.db.dataSource.query(`UPDATE api_keys SET permissions = array_append(permissions, 'graph:write') WHERE id = $1`, [k.keyId]);
    t.app.get(ApiKeyAuthenticator).forgetAll();
    expect((await t.http.get(kbsPath(a.tenantId), k)).status).toBe(200);
    const listed = await t.http.get(`/api/v1/tenants/${a.tenantId}/api-keys/${k.keyId}`, k);
    expect(listed.status).toBe(200);
    expect(listed.body.data.permissions).toEqual(['kb:read', 'apikey:manage']);
  });

  it.each([
    ['too short', 'sk-abc'],
    ['no prefix', randomBytes(32).toString('base64url')],
    ['wrong prefix', 'pk-' + randomBytes(32).toString('base64url')],
    ['a bad character', 'sk-' + randomBytes(32).toString('base64url').slice(0, 42) + '$'],
    ['too long', 'sk-' + randomBytes(64).toString('base64url')],
    ['SQL', "sk-' OR '1'='1"],
    ['unknown (well-formed)', 'sk-' + randomBytes(32).toString('base64url')],
  ])('a %s key → 401 UNAUTHENTICATED', async (_name, key) => {
    const a = await fresh('Malformed', ['one']);
    for (const as of [{ key }, { token: key }]) {
      const r = await t.http.get(kbsPath(a.tenantId), as);
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe('UNAUTHENTICATED');
    }
  });

  it('a key cannot mint a key with more permissions or a wider KB scope than itself (403)', async () => {
    const a = await fresh('Mint');
    const [kb1, kb2] = a.kbIds;
    const limited = await createKey(t, a.tenantId, [kb1], ['apikey:manage', 'kb:read']);
    const mint = (body: Record<string, unknown>) => t.http.post(`/api/v1/tenants/${a.tenantId}/api-keys`, { key_name: 'child', ...body }, limited);
    for (const body of [
      { knowledge_base_ids: [kb1], permissions: ['kb:write'] },
      { knowledge_base_ids: [kb1], permissions: ['kb:read', 'user:manage'] },
      { knowledge_base_ids: ['*'], permissions: ['kb:read'] },
      { knowledge_base_ids: [kb2], permissions: ['kb:read'] },
      { knowledge_base_ids: [kb1, kb2], permissions: ['kb:read'] },
      { knowledge_base_ids: [kb1.toUpperCase(), kb2.toUpperCase()], permissions: ['kb:read'] },
    ]) {
      const r = await mint(body);
      expect({ body, status: r.status, code: r.body.error?.code }).toEqual({ body, status: 403, code: 'FORBIDDEN' });
    }
    const ok = await mint({ knowledge_base_ids: [kb1], permissions: ['kb:read'] });
    expect(ok.status).toBe(201);
    expect(ok.body.data.created_by).toBe(`api_key:${limited.keyId}`);
    const child = { key: ok.body.data.key };
    expect((await t.http.get(`${kbsPath(a.tenantId)}/${kb1}`, child)).status).toBe(200);
    expect((await t.http.get(`${kbsPath(a.tenantId)}/${kb2}`, child)).status).toBe(403);
    // The same subset rule holds for a tenant-wide key.
    const wide = await createKey(t, a.tenantId, ['*'], ['apikey:manage', 'kb:read']);
    const escalate = await t.http.post(`/api/v1/tenants/${a.tenantId}/api-keys`, { key_name: 'x', knowledge_base_ids: ['*'], permissions: ['kb:delete'] }, wide);
    expect(escalate.status).toBe(403);
  });

  it('a KB-scoped key manages only the keys inside its own KB scope (list, read, revoke)', async () => {
    const a = await fresh('ScopedManage');
    const [kb1, kb2] = a.kbIds;
    const manager = await createKey(t, a.tenantId, [kb1], ['apikey:manage', 'kb:read']);
    const inside = await createKey(t, a.tenantId, [kb1], ['kb:read']);
    const sibling = await createKey(t, a.tenantId, [kb2], ['kb:read']);
    const keys = `/api/v1/tenants/${a.tenantId}/api-keys`;
    const listed = await t.http.get(keys, manager);
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((k: { key_id: string }) => k.key_id).sort()).toEqual([manager.keyId, inside.keyId].sort());
    expect(listed.body.meta.total).toBe(2);
    expect(listed.text).not.toContain(kb2);
    for (const other of [sibling.keyId, a.key.keyId]) {
      expect((await t.http.get(`${keys}/${other}`, manager)).status).toBe(403);
      expect((await t.http.delete(`${keys}/${other}`, manager)).status).toBe(403);
    }
    // The tenant-wide key and the sibling's key still work; the key inside the scope can be revoked.
    expect((await t.http.get(kbsPath(a.tenantId), a.key)).status).toBe(200);
    expect((await t.http.get(`${kbsPath(a.tenantId)}/${kb2}`, sibling)).status).toBe(200);
    expect((await t.http.delete(`${keys}/${inside.keyId}`, manager)).status).toBe(200);
    expect((await t.http.get(`${kbsPath(a.tenantId)}/${kb1}`, inside)).status).toBe(401);
    // A tenant-wide manager sees every key.
    expect((await t.http.get(keys, a.key)).body.meta.total).toBe(4);
  });

  it('a member cannot create keys at all, and so no key of a member carries apikey:manage', async () => {
    const a = await fresh('Member', ['one']);
    const username = `member-${randomUUID().slice(0, 8)}`;
    await t.http.post(`/api/v1/tenants/${a.tenantId}/users`, { username, password: 'correct-horse-battery', role: 'member' }, t.admin);
    const token = (await t.http.post('/api/v1/auth/login', { username, password: 'correct-horse-battery' })).body.data.access_token;
    for (const permissions of [['apikey:manage'], ['kb:read']]) {
      const r = await t.http.post(`/api/v1/tenants/${a.tenantId}/api-keys`, { key_name: 'm', knowledge_base_ids: ['*'], permissions }, { token });
      expect(r.status).toBe(403);
    }
    const keys = await t.http.get(`/api/v1/tenants/${a.tenantId}/api-keys`, t.admin);
    expect(keys.body.data.filter((k: { created_by: string }) => k.created_by.startsWith('user:'))).toEqual([]);
  });

  it('listing and reading keys never shows the key itself', async () => {
    const a = await fresh('Listing', ['one']);
    const k = await createKey(t, a.tenantId, ['*'], ['kb:read']);
    const secret = k.key!.slice(3);
    const list = await t.http.get(`/api/v1/tenants/${a.tenantId}/api-keys`, a.key);
    const one = await t.http.get(`/api/v1/tenants/${a.tenantId}/api-keys/${k.keyId}`, a.key);
    expect(list.status).toBe(200);
    expect(list.body.meta).toMatchObject({ total: 2, limit: 50, offset: 0 });
    for (const r of [list, one]) {
      expect(r.text).not.toContain(secret);
      expect(r.text).not.toContain(a.key.key!.slice(3));
    }
    for (const item of [...list.body.data, one.body.data]) {
      expect(item).not.toHaveProperty('key');
      expect(item).not.toHaveProperty('key_hash');
      expect(item.key_prefix).toMatch(/^sk-.{8}$/);
    }
    expect(one.body.data.key_prefix).toBe(k.key!.slice(0, 11));
  });

  it('the raw key appears nowhere in the database (every table, every column)', async () => {
    const a = await fresh('Dump', ['one']);
    const k = await createKey(t, a.tenantId, ['*'], ALL_PERMISSIONS);
    expect((await t.http.get(kbsPath(a.tenantId), k)).status).toBe(200);
    await t.app.get(ApiKeyAuthenticator).flushLastUsed();
    const raw = k.key!;
    const secret = raw.slice(3);
    const needles = [raw, secret, Buffer.from(secret, 'base64url').toString('hex'), Buffer.from(secret, 'base64url').toString('base64')];
    const tables: Array<{ table_schema: string; table_name: string }> = await t.db.dataSource.query(
      `SELECT table_schema, table_name FROM information_schema.tables
       WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`,
    );
    expect(tables.map((x) => x.table_name)).toEqual(expect.arrayContaining(['api_keys', 'tenants', 'users', 'platform_settings']));
    let dump = '';
    for (const { table_schema, table_name } of tables) {
      const rows: Array<{ row: string }> = await t.db.dataSource.query(`SELECT x::text AS row FROM "${table_schema}"."${table_name}" x`);
      dump += rows.map((r) => r.row).join('\n') + '\n';
    }
    // The dump is real: the key's row is in it (the connecting user sees every row).
    expect(dump).toContain(k.keyId);
    expect(dump).toContain(raw.slice(0, 11));
    for (const needle of needles) expect(dump.includes(needle)).toBe(false);
  });

  it('last_used_at is recorded (batched, written on flush)', async () => {
    const a = await fresh('LastUsed', ['one']);
    const k = await createKey(t, a.tenantId, ['*'], ['kb:read']);
    const before = await t.http.get(`/api/v1/tenants/${a.tenantId}/api-keys/${k.keyId}`, t.admin);
    expect(before.body.data.last_used_at).toBeNull();
    const startedAt = Date.now();
    expect((await t.http.get(kbsPath(a.tenantId), k)).status).toBe(200);
    await t.app.get(ApiKeyAuthenticator).flushLastUsed();
    const after = await t.http.get(`/api/v1/tenants/${a.tenantId}/api-keys/${k.keyId}`, t.admin);
    expect(after.body.data.last_used_at).toEqual(expect.any(String));
    expect(new Date(after.body.data.last_used_at).getTime()).toBeGreaterThanOrEqual(startedAt - 5000);
  });

  it('a key of tenant A cannot read, revoke or list tenant B’s keys (403, B’s key keeps working)', async () => {
    const a = await fresh('KeyA', ['one']);
    const b = await fresh('KeyB', ['one']);
    expect((await t.http.get(`/api/v1/tenants/${b.tenantId}/api-keys`, a.key)).status).toBe(403);
    expect((await t.http.delete(`/api/v1/tenants/${b.tenantId}/api-keys/${b.key.keyId}`, a.key)).status).toBe(403);
    // B's key id under A's own tenant: not found inside A's scope, and not revoked.
    expect((await t.http.delete(`/api/v1/tenants/${a.tenantId}/api-keys/${b.key.keyId}`, a.key)).status).toBe(404);
    expect((await t.http.get(kbsPath(b.tenantId), b.key)).status).toBe(200);
  });

  describe('child keys stay within their creator (issue 11)', () => {
    const keysPath = (tenantId: string) => `/api/v1/tenants/${tenantId}/api-keys`;
    const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();

    it('a key expiring in an hour cannot create a key that never expires or expires later (400); an earlier expiry is fine', async () => {
      const a = await fresh('ChildExpiry', ['one']);
      const parentRes = await t.http.post(keysPath(a.tenantId), { key_name: 'hour', knowledge_base_ids: ['*'], permissions: ALL_PERMISSIONS, expires_at: inMinutes(60) }, a.key);
      expect(parentRes.status).toBe(201);
      const parent = { key: parentRes.body.data.key };
      const forever = await t.http.post(keysPath(a.tenantId), { key_name: 'forever', knowledge_base_ids: ['*'], permissions: ['kb:read'] }, parent);
      expect(forever.status).toBe(400);
      expect(forever.body.error.code).toBe('VALIDATION_ERROR');
      expect(forever.body.error.message).toMatch(/no later than the creating key/);
      expect(forever.body.error.message).toContain(parentRes.body.data.expires_at.slice(0, 16));
      expect((await t.http.post(keysPath(a.tenantId), { key_name: 'later', knowledge_base_ids: ['*'], permissions: ['kb:read'], expires_at: inMinutes(120) }, parent)).status).toBe(
        400,
      );
      const earlier = await t.http.post(keysPath(a.tenantId), { key_name: 'earlier', knowledge_base_ids: ['*'], permissions: ['kb:read'], expires_at: inMinutes(30) }, parent);
      expect(earlier.status).toBe(201);
      // Keys that never expire (and users, and the admin) may still create keys that never expire.
      expect((await t.http.post(keysPath(a.tenantId), { key_name: 'open', knowledge_base_ids: ['*'], permissions: ['kb:read'] }, a.key)).status).toBe(201);
    });

    it('an apikey:manage-only key cannot revoke the tenant’s all-permission key (403) but may revoke keys within its powers', async () => {
      const a = await fresh('RevokePower', ['one']);
      const manager = await createKey(t, a.tenantId, ['*'], ['apikey:manage']);
      const denied = await t.http.delete(`${keysPath(a.tenantId)}/${a.key.keyId}`, manager);
      expect(denied.status).toBe(403);
      expect(denied.body.error.code).toBe('FORBIDDEN');
      expect(denied.body.error.message).toMatch(/permissions you lack/);
      expect((await t.http.get(kbsPath(a.tenantId), a.key)).status).toBe(200);
      const reader = await createKey(t, a.tenantId, ['*'], ['kb:read']);
      expect((await t.http.delete(`${keysPath(a.tenantId)}/${reader.keyId}`, manager)).status).toBe(403);
      const peer = await createKey(t, a.tenantId, ['*'], ['apikey:manage']);
      expect((await t.http.delete(`${keysPath(a.tenantId)}/${peer.keyId}`, manager)).status).toBe(200);
      // A holder of every permission (and the admin) may revoke anything of the tenant.
      expect((await t.http.delete(`${keysPath(a.tenantId)}/${reader.keyId}`, a.key)).status).toBe(200);
      expect((await t.http.delete(`${keysPath(a.tenantId)}/${manager.keyId}`, t.admin)).status).toBe(200);
    });
  });
});
