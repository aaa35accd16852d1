import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createRoleIfMissingSql } from '../../migrations/roles';
import { AuditService } from '../../src/audit/audit.service';
import { addTextAndWait, kbPath } from '../support/rag';
import { freshDatabase, TestDatabase } from '../support/test-db';
import { seedTenant, startTestApp, TestApp } from '../support/test-app';

/**
 * Issue 11: the app connects as a least-privilege login role — a member of
 * strata_app and strata_platform, NOINHERIT, not a superuser, owning nothing —
 * while migrations run over MIGRATION_DATABASE_URL (the schema owner).
 */
const server = process.env.TEST_DATABASE_URL;
(server ? describe : describe.skip)('least-privilege DATABASE_URL (PostgreSQL only: PGlite is a single-user embedded database with no login roles)', () => {
  let db: TestDatabase;
  let t: TestApp;
  let login: Client;
  let otherTenant: string;
  const role = `strata_login_${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    db = await freshDatabase();
    const su = new Client({ connectionString: db.url! });
    await su.connect();
    await su.query(createRoleIfMissingSql('strata_app'));
    await su.query(createRoleIfMissingSql('strata_platform'));
    await su.query(`CREATE ROLE ${role} LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS`);
    await su.query(`GRANT strata_app, strata_platform TO ${role}`);
    await su.end();
    const loginUrl = new URL(db.url!);
    loginUrl.username = role;
    t = await startTestApp({ database: { ...db, env: { DATABASE_URL: loginUrl.toString(), MIGRATION_DATABASE_URL: db.url! } } });
    login = new Client({ connectionString: loginUrl.toString() });
    await login.connect();
  });
  afterAll(async () => {
    await login?.end();
    await t?.close();
    await db?.drop();
    const su = new Client({ connectionString: server });
    await su.connect();
    await su.query(`DROP ROLE IF EXISTS ${role}`);
    await su.end();
  });

  it('the app runs as that role and does tenant work: tenants, keys, documents, queries, audit, retention', async () => {
    const [who] = await t.db.dataSource.query(`SELECT current_user AS u, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS su`);
    expect(who).toEqual({ u: role, su: false });
    const a = await seedTenant(t, 'Least Privilege A');
    otherTenant = (await seedTenant(t, 'Least Privilege B')).tenantId;
    await addTextAndWait(t.http, a.tenantId, a.kbIds[0], 'Least privilege means the application role owns nothing and bypasses nothing.', 'lp.txt', a.key);
    const q = await t.http.post(`${kbPath(a.tenantId, a.kbIds[0])}/query`, { query: 'what does the application role own?', mode: 'naive' }, a.key);
    expect(q.status).toBe(200);
    const audit = t.app.get(AuditService);
    await audit.flush();
    expect(await audit.applyRetention(new Date(Date.now() + 400 * 86400_000))).toMatchObject({ deleted: expect.any(Number) });
    const v = await t.http.get('/api/v1/audit/verify', t.admin);
    expect(v.body.data).toMatchObject({ valid: true });
  });

  it('the role cannot become a superuser, leave RLS, touch the audit table or read key material', async () => {
    const denied = (sql: string) => expect(login.query(sql)).rejects.toThrow(/permission denied|must be|only|not allowed|row-level security/);
    await denied(`SET ROLE postgres`);
    await denied(`SELECT count(*) FROM pg_authid`);
    await denied(`SELECT pg_read_file('postmaster.opts')`);
    await denied(`COPY (SELECT 1) TO PROGRAM 'true'`);
    await denied(`ALTER TABLE audit_log DISABLE ROW LEVEL SECURITY`);
    await denied(`ALTER TABLE tenants NO FORCE ROW LEVEL SECURITY`);
    // NOINHERIT: without the per-transaction SET ROLE it holds nothing at all.
    await denied(`SELECT count(*) FROM tenants`);
    // As the tenant role: another tenant's rows stay invisible, and switching row security off is refused.
    await login.query(`BEGIN`);
    try {
      await login.query(`SET LOCAL ROLE strata_app`);
      await login.query(`SELECT set_config('app.tenant_id', $1, true)`, [otherTenant.replace(/.$/, (c) => (c === '0' ? '1' : '0'))]);
      expect((await login.query(`SELECT count(*)::int AS n FROM knowledge_bases WHERE tenant_id = $1`, [otherTenant])).rows[0].n).toBe(0);
      await login.query(`SET LOCAL row_security = off`);
      await expect(login.query(`SELECT count(*) FROM knowledge_bases`)).rejects.toThrow(/row-level security/);
    } finally {
      await login.query(`ROLLBACK`);
    }
    // As the platform role: no direct write to the audit log, no delete, no update.
    for (const sql of [
      `INSERT INTO audit_log (id, seq, actor, action, outcome, created_at, prev_hash, hash) VALUES (gen_random_uuid(), 999, 'x', 'x', 'success', now(), 'x', 'x')`,
      `UPDATE audit_log SET actor = 'x'`,
      `DELETE FROM audit_log`,
    ]) {
      await login.query(`BEGIN`);
      try {
        await login.query(`SET LOCAL ROLE strata_platform`);
        await expect(login.query(sql)).rejects.toThrow(/permission denied/);
      } finally {
        await login.query(`ROLLBACK`);
      }
    }
    // The audit chain key lives nowhere in the database: no setting holds it (it is derived from TOKEN_SECRET).
    await login.query(`BEGIN`);
    try {
      await login.query(`SET LOCAL ROLE strata_platform`);
      const keys = (await login.query(`SELECT key FROM platform_settings`)).rows.map((r: { key: string }) => r.key);
      expect(keys.filter((k: string) => /audit.*(key|secret)|chain_key/.test(k))).toEqual([]);
    } finally {
      await login.query(`ROLLBACK`);
    }
  });
});
