import { createHmac, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SecretsService } from '../../src/auth/secrets.service';
import { ownLoopback, requestFrom } from '../support/http';
import { claimsOf, jwt as signJwt, nowSeconds as now } from '../support/jwt';
import { ADMIN_PASSWORD, seedTenant, startTestApp, TestApp, TOKEN_SECRET } from '../support/test-app';
import { persistentDatabase } from '../support/test-db';

const PASSWORD = 'correct-horse-battery';

/** Signed with the test server's TOKEN_SECRET unless told otherwise. */
const jwt = (claims: Record<string, unknown>, secret: string | Buffer = TOKEN_SECRET) => signJwt(claims, { secret });

describe('auth hardening (issue 11): tokens are re-checked against the database', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  /** A tenant with one user per role asked for, each logged in. */
  async function tenantWithUsers(label: string, roles: Array<'owner' | 'member' | 'viewer'>) {
    const seeded = await seedTenant(t, `${label} ${randomUUID().slice(0, 6)}`);
    const users: Record<string, { id: string; username: string; token: string }> = {};
    for (const role of roles) {
      const username = `${role}-${randomUUID().slice(0, 8)}`;
      const id = (await t.http.post(`/api/v1/tenants/${seeded.tenantId}/users`, { username, password: PASSWORD, role }, t.admin)).body.data.user_id;
      const token = (await t.http.post('/api/v1/auth/login', { username, password: PASSWORD })).body.data.access_token;
      users[role] = { id, username, token };
    }
    return { ...seeded, users };
  }

  describe('platform-admin tokens are re-checked like users (issue 11)', () => {
    const adminClaims = () => claimsOf(t.admin.token!);

    it('the real admin token works, and one re-signed with the same claims does too (the secret is the test’s)', async () => {
      expect((await t.http.get('/api/v1/tenants', t.admin)).status).toBe(200);
      expect((await t.http.get('/api/v1/tenants', { token: jwt({ ...adminClaims(), exp: now() + 600 }) })).status).toBe(200);
    });

    it('a validly signed admin token with a random user id → 401', async () => {
      const r = await t.http.get('/api/v1/tenants', { token: jwt({ ...adminClaims(), sub: randomUUID(), exp: now() + 600 }) });
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe('UNAUTHENTICATED');
    });

    it('a validly signed admin token whose id is a tenant user’s → 401', async () => {
      const a = await tenantWithUsers('AdminForge', ['owner']);
      expect((await t.http.get('/api/v1/tenants', { token: jwt({ ...adminClaims(), sub: a.users.owner.id, exp: now() + 600 }) })).status).toBe(401);
    });

    it('a validly signed token without exp → 401 (admin and user alike)', async () => {
      const { exp: _gone, ...forever } = adminClaims();
      expect((await t.http.get('/api/v1/tenants', { token: jwt(forever) })).status).toBe(401);
      const a = await tenantWithUsers('NoExp', ['viewer']);
      const { exp: _also, ...userForever } = claimsOf(a.users.viewer.token);
      expect((await t.http.get(`/api/v1/tenants/${a.tenantId}`, { token: jwt(userForever) })).status).toBe(401);
      expect((await t.http.get(`/api/v1/tenants/${a.tenantId}`, { token: a.users.viewer.token })).status).toBe(200);
    });

    it('a user’s token issued before a password change → 401, while a new login works', async () => {
      const a = await tenantWithUsers('PwChange', ['member']);
      const old = { token: a.users.member.token };
      expect((await t.http.get(`/api/v1/tenants/${a.tenantId}`, old)).status).toBe(200);
      expect((await t.http.patch(`/api/v1/tenants/${a.tenantId}/users/${a.users.member.id}`, { password: 'a-brand-new-password' }, t.admin)).status).toBe(200);
      const stale = await t.http.get(`/api/v1/tenants/${a.tenantId}`, old);
      expect(stale.status).toBe(401);
      expect(stale.body.error.message).toMatch(/password was changed/);
      expect((await t.http.post('/api/v1/auth/login', { username: a.users.member.username, password: PASSWORD })).status).toBe(401);
      const fresh = await t.http.post('/api/v1/auth/login', { username: a.users.member.username, password: 'a-brand-new-password' });
      expect(fresh.status).toBe(200);
      expect((await t.http.get(`/api/v1/tenants/${a.tenantId}`, { token: fresh.body.data.access_token })).status).toBe(200);
      // A role change alone does not log the user out.
      expect((await t.http.patch(`/api/v1/tenants/${a.tenantId}/users/${a.users.member.id}`, { role: 'viewer' }, t.admin)).status).toBe(200);
      expect((await t.http.get(`/api/v1/tenants/${a.tenantId}`, { token: fresh.body.data.access_token })).status).toBe(200);
    });
  });

  describe('usernames are unique per tenant, not server-wide (issue 11)', () => {
    it('two tenants may each have "bob"; each logs in by naming its tenant; 409 only within one tenant', async () => {
      const a = await seedTenant(t, `Bob A ${randomUUID().slice(0, 6)}`);
      const b = await seedTenant(t, `Bob B ${randomUUID().slice(0, 6)}`);
      const bob = `bob-${randomUUID().slice(0, 6)}`;
      const inA = await t.http.post(`/api/v1/tenants/${a.tenantId}/users`, { username: bob, password: 'password-of-bob-a', role: 'viewer' }, t.admin);
      expect(inA.status).toBe(201);
      const inB = await t.http.post(`/api/v1/tenants/${b.tenantId}/users`, { username: bob.toUpperCase(), password: 'password-of-bob-b', role: 'member' }, b.key);
      expect(inB.status).toBe(201);
      const dup = await t.http.post(`/api/v1/tenants/${a.tenantId}/users`, { username: bob.toUpperCase(), password: 'another-password', role: 'viewer' }, a.key);
      expect(dup.status).toBe(409);
      expect(dup.body.error.message).toMatch(/in this tenant/);

      const loginA = await t.http.post('/api/v1/auth/login', { username: bob, password: 'password-of-bob-a', tenant_id: a.tenantId });
      expect(loginA.status).toBe(200);
      expect(claimsOf(loginA.body.data.access_token)).toMatchObject({ tenant_id: a.tenantId, role: 'viewer' });
      const loginB = await t.http.post('/api/v1/auth/login', { username: bob, password: 'password-of-bob-b', tenant_id: b.tenantId });
      expect(loginB.status).toBe(200);
      expect(claimsOf(loginB.body.data.access_token)).toMatchObject({ tenant_id: b.tenantId, role: 'member' });
      // The right password in the wrong tenant is just a wrong login.
      expect((await t.http.post('/api/v1/auth/login', { username: bob, password: 'password-of-bob-a', tenant_id: b.tenantId })).status).toBe(401);

      // Ambiguous without a tenant: the same 401 (code and message) as a wrong password, even with a right one.
      const ambiguous = await t.http.post('/api/v1/auth/login', { username: bob, password: 'password-of-bob-a' });
      const wrong = await t.http.post('/api/v1/auth/login', { username: `nobody-${randomUUID().slice(0, 6)}`, password: 'whatever-password' });
      expect(ambiguous.status).toBe(401);
      expect(wrong.status).toBe(401);
      expect(ambiguous.body.error.code).toBe(wrong.body.error.code);
      expect(ambiguous.body.error.message).toBe(wrong.body.error.message);
      expect((await t.http.post('/api/v1/auth/login', { username: bob, password: 'x', tenant_id: 'not-a-uuid' })).status).toBe(400);
    });

    it('a tenant user may be called like the admin; the admin still logs in without a tenant', async () => {
      const a = await seedTenant(t, `Admin Name ${randomUUID().slice(0, 6)}`);
      expect((await t.http.post(`/api/v1/tenants/${a.tenantId}/users`, { username: 'admin', password: 'tenant-admin-password', role: 'owner' }, t.admin)).status).toBe(201);
      const platform = await t.http.post('/api/v1/auth/login', { username: 'admin', password: 'test-admin-password' });
      expect(platform.status).toBe(200);
      expect(claimsOf(platform.body.data.access_token).kind).toBe('admin');
      const tenantAdmin = await t.http.post('/api/v1/auth/login', { username: 'admin', password: 'tenant-admin-password', tenant_id: a.tenantId });
      expect(tenantAdmin.status).toBe(200);
      expect(claimsOf(tenantAdmin.body.data.access_token)).toMatchObject({ kind: 'user', tenant_id: a.tenantId, role: 'owner' });
    });
  });
});

/** A database that survives a restart, with its own DATA_DIR (where secret.key lives). */

/** Every row of every table, as text: what a database dump gives away. */
async function dumpEverything(t: TestApp): Promise<{ text: string; values: Array<string | Buffer> }> {
  const tables: Array<{ table_name: string }> = await t.db.dataSource.query(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
  );
  const values = new Set<string | Buffer>();
  const walk = (v: unknown): void => {
    if (typeof v === 'string') values.add(v);
    else if (Buffer.isBuffer(v)) values.add(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object' && !(v instanceof Date)) Object.values(v).forEach(walk);
  };
  let text = '';
  for (const { table_name } of tables) {
    const rows = await t.db.dataSource.query(`SELECT * FROM "${table_name}"`);
    walk(rows);
    text += JSON.stringify(rows, (_k, v) => (v && v.type === 'Buffer' ? Buffer.from(v.data).toString('hex') : v)) + '\n';
  }
  return { text, values: [...values] };
}

const NO_ENV_SECRETS = { TOKEN_SECRET: '', API_KEY_PEPPER: '' };

describe('auth hardening (issue 11): server secrets live outside the database', () => {
  it('a fresh start makes DATA_DIR/secret.key (0600); a dump of every table holds neither the JWT secret nor the pepper, and nothing in it signs an admin token', async () => {
    const database = await persistentDatabase();
    let t = await startTestApp({ database, env: NO_ENV_SECRETS });
    try {
      const keyFile = join(database.dir, 'secret.key');
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      const secrets = t.app.get(SecretsService);
      const master = JSON.parse(readFileSync(keyFile, 'utf8')).master as string;
      const a = await seedTenant(t, 'Dumped');
      const user = `dump-${randomUUID().slice(0, 6)}`;
      await t.http.post(`/api/v1/tenants/${a.tenantId}/users`, { username: user, password: PASSWORD, role: 'viewer' }, t.admin);
      const userToken = (await t.http.post('/api/v1/auth/login', { username: user, password: PASSWORD })).body.data.access_token;

      const { text, values } = await dumpEverything(t);
      expect(text).toContain(a.key.keyId); // the dump is real
      for (const secret of [secrets.tokenSecret, secrets.apiKeyPepper.toString('utf8'), secrets.apiKeyPepper.toString('hex'), secrets.apiKeyPepper.toString('base64'), master]) {
        expect(text.includes(secret)).toBe(false);
      }
      const rows = await t.db.dataSource.query(`SELECT key FROM platform_settings WHERE key IN ('token_secret', 'api_key_pepper')`);
      expect(rows).toEqual([]);

      // The admin's real claims: signed with the server's secret they work; signed with anything from the dump they do not.
      const claims = { ...claimsOf(t.admin.token!), exp: now() + 600 };
      expect((await t.http.get('/api/v1/tenants', { token: jwt(claims, secrets.tokenSecret) })).status).toBe(200);
      const candidates = values.filter((v) => v.length >= 8);
      expect(candidates.length).toBeGreaterThan(10);
      for (const candidate of candidates) {
        const r = await requestFrom(t.url, ownLoopback(), 'GET', '/api/v1/tenants', { headers: { authorization: `Bearer ${jwt(claims, candidate)}` } });
        expect(r.status).toBe(401);
      }

      // A restart keeps the secrets (tokens and keys stay valid); a new ADMIN_PASSWORD invalidates the admin's older tokens.
      const oldAdmin = t.admin;
      await t.app.close();
      t = await startTestApp({ database, env: { ...NO_ENV_SECRETS, ADMIN_PASSWORD: 'a-new-admin-password' } });
      expect((await t.http.get(`/api/v1/tenants/${a.tenantId}/knowledge-bases`, a.key)).status).toBe(200);
      expect((await t.http.get(`/api/v1/tenants/${a.tenantId}`, { token: userToken })).status).toBe(200);
      const stale = await t.http.get('/api/v1/tenants', oldAdmin);
      expect(stale.status).toBe(401);
      expect((await t.http.get('/api/v1/tenants', t.admin)).status).toBe(200); // logged in with the new password
      expect((await t.http.post('/api/v1/auth/login', { username: 'admin', password: ADMIN_PASSWORD })).status).toBe(401);
    } finally {
      await t.app.close();
      await database.drop();
    }
  });

  it('refuses to start when secret.key is readable by group or others, and says how to fix it', async () => {
    const database = await persistentDatabase();
    try {
      const first = await startTestApp({ database, env: NO_ENV_SECRETS });
      await first.app.close();
      chmodSync(join(database.dir, 'secret.key'), 0o644);
      await expect(startTestApp({ database, env: NO_ENV_SECRETS })).rejects.toThrow(/secret\.key is readable.*chmod 600/s);
    } finally {
      await database.drop();
    }
  });

  it('an older installation: secrets stored in platform_settings move into the key file and are deleted; its API keys and tokens stay valid', async () => {
    const database = await persistentDatabase();
    try {
      const first = await startTestApp({ database, env: NO_ENV_SECRETS });
      const a = await seedTenant(first, 'Legacy');
      const adminClaims = claimsOf(first.admin.token!);
      // What an older version left behind: both secrets in the table, a key hashed with the stored pepper.
      const legacyToken = 'legacy-token-secret-' + randomUUID();
      const legacyPepper = 'legacy-api-key-pepper-' + randomUUID();
      const rawKey = 'sk-' + Buffer.alloc(32, 7).toString('base64url');
      await first.db.dataSource.query(`INSERT INTO platform_settings (key, value) VALUES ('token_secret', $1), ('api_key_pepper', $2)`, [legacyToken, legacyPepper]);
      await first.db.dataSource.query(
        `INSERT INTO api_keys (tenant_id, name, key_prefix, key_hash, kb_ids, permissions, created_by) VALUES ($1, 'old', $2, $3, NULL, ARRAY['kb:read'], 'admin:legacy')`,
        [a.tenantId, rawKey.slice(0, 11), createHmac('sha256', Buffer.from(legacyPepper, 'utf8')).update(rawKey).digest()],
      );
      await first.app.close();
      rmSync(join(database.dir, 'secret.key')); // as before this version: no key file yet

      const t = await startTestApp({ database, env: NO_ENV_SECRETS });
      try {
        expect((await t.http.get(`/api/v1/tenants/${a.tenantId}/knowledge-bases`, { key: rawKey })).status).toBe(200);
        expect((await t.http.get('/api/v1/tenants', { token: jwt({ ...adminClaims, exp: now() + 600 }, legacyToken) })).status).toBe(200);
        expect(await t.db.dataSource.query(`SELECT key FROM platform_settings WHERE key IN ('token_secret', 'api_key_pepper')`)).toEqual([]);
        const keyFile = join(database.dir, 'secret.key');
        expect(existsSync(keyFile)).toBe(true);
        expect(statSync(keyFile).mode & 0o777).toBe(0o600);
        expect(JSON.parse(readFileSync(keyFile, 'utf8')).legacy).toEqual({ token_secret: legacyToken, api_key_pepper: legacyPepper });
      } finally {
        await t.app.close();
      }
    } finally {
      await database.drop();
    }
  });
});
