import { Client } from 'pg';
import { AuditService } from '../../src/audit/audit.service';
import { seedTenant, startTestApp, TestApp } from '../support/test-app';

/**
 * A state change's audit entry is written before its response leaves — its
 * own chain only, not the whole buffer. bench/load-canaries.js found key
 * creation waiting 5.1 s (p50) under load: the request waited for a flush of
 * every tenant's batched query entries.
 *
 * Here tenant B's chain is held (its advisory chain lock, taken by a session
 * of the test) while B has queued entries and a flush of them is under way
 * and stuck. Tenant A then creates and revokes a key: both answer, with their
 * entries in the database; B's entries are written once its chain is free.
 * A real server only: the embedded PGlite has one connection, so no session
 * can hold a lock the app's writer waits for.
 */
const onServer = process.env.TEST_DATABASE_URL ? describe : describe.skip;
const CHAIN_LOCK_CLASS = 8151;

onServer("audit: a state change writes its own chain, without waiting for another tenant's entries", () => {
  let t: TestApp;
  let sql: Client;

  beforeAll(async () => {
    t = await startTestApp({ env: { WORKER_CONCURRENCY: '0' } });
    sql = new Client({ connectionString: t.database.url! });
    await sql.connect();
  });
  afterAll(async () => {
    await sql?.end();
    await t?.close();
  });

  it("answers tenant A's key creation and revocation while tenant B's chain is locked and its flush waits", async () => {
    const a = await seedTenant(t, `own-chain-a-${Date.now()}`);
    const b = await seedTenant(t, `own-chain-b-${Date.now()}`);
    const audit = t.app.get(AuditService);
    await audit.flush();

    await sql.query('SELECT pg_advisory_lock($1, hashtext($2))', [CHAIN_LOCK_CLASS, b.tenantId]);
    let flushed = false;
    let stuck: Promise<void> | undefined;
    try {
      for (let i = 0; i < 300; i++)
        audit.record({
          tenantId: b.tenantId,
          kbId: b.kbIds[0],
          actor: 'test',
          action: 'query.run',
          resourceId: null,
          outcome: 'success',
          httpStatus: 200,
          requestId: `b-${i}`,
          clientIp: null,
          details: {},
        });
      stuck = audit.flush().then(() => {
        flushed = true;
      });
      // The flush is waiting for B's chain lock.
      const deadline = Date.now() + 15_000;
      while ((await sql.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`)).rows[0].n === 0) {
        if (Date.now() > deadline) throw new Error('the flush never waited for the chain lock');
        await new Promise((r) => setTimeout(r, 50));
      }

      const created = await t.http.post(`/api/v1/tenants/${a.tenantId}/api-keys`, { key_name: 'during-b-flush', knowledge_base_ids: ['*'], permissions: ['query:run'] }, t.admin);
      expect(created.status).toBe(201);
      const keyId = created.body.data.key_id as string;
      const revoked = await t.http.request('DELETE', `/api/v1/tenants/${a.tenantId}/api-keys/${keyId}`, { as: t.admin });
      expect(revoked.status).toBe(200);

      const rows = await sql.query(`SELECT action FROM audit_log WHERE tenant_id = $1 AND resource_id = $2 ORDER BY seq`, [a.tenantId, keyId]);
      expect(rows.rows.map((r) => r.action)).toEqual(['apikey.create', 'apikey.revoke']);
      expect(flushed).toBe(false);
      expect((await sql.query(`SELECT count(*)::int AS n FROM audit_log WHERE tenant_id = $1 AND action = 'query.run'`, [b.tenantId])).rows[0].n).toBe(0);
    } finally {
      await sql.query('SELECT pg_advisory_unlock($1, hashtext($2))', [CHAIN_LOCK_CLASS, b.tenantId]);
    }
    await stuck;
    await audit.flush();
    expect((await sql.query(`SELECT count(*)::int AS n FROM audit_log WHERE tenant_id = $1 AND action = 'query.run'`, [b.tenantId])).rows[0].n).toBe(300);
    // Both chains still verify.
    const verified = await t.http.get('/api/v1/audit/verify', t.admin);
    expect(verified.status).toBe(200);
    expect(verified.body.data.valid).toBe(true);
  }, 60_000);
});
