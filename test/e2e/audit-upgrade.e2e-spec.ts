import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditHardening1732900000000 } from '../../migrations/1732900000000-audit-hardening';
import { AuditRow, GENESIS_HASH, hashAuditRow, LEGACY_CUTOVER_SETTING } from '../../src/audit/audit-chain';
import { AuditService } from '../../src/audit/audit.service';
import { openDatabase, runMigrations } from '../../src/database/data-source.factory';
import { freshDatabase, TestDatabase } from '../support/test-db';
import { seedTenant, startTestApp } from '../support/test-app';

/**
 * An installation whose audit chain was written before the chain was keyed
 * (unkeyed sha256 rows, no hash_version) upgrades without breaking: its rows
 * still verify, they are sealed at the cut-over, and new rows are keyed.
 */
describe('audit upgrade: an existing unkeyed chain keeps verifying', () => {
  let db: TestDatabase;
  let dir: string | null = null;
  beforeAll(async () => {
    db = await freshDatabase();
    if (!db.url) {
      dir = mkdtempSync(join(tmpdir(), 'strata-audit-upgrade-'));
      db = { ...db, env: { DATA_DIR: dir } };
    }
  });
  afterAll(async () => {
    await db.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('legacy rows verify after the migration, are sealed, and are followed by keyed rows', async () => {
    // The database as the previous release left it: every migration but the audit hardening, and legacy rows.
    const old = await openDatabase({ databaseUrl: db.url, dataDir: dir ?? '', poolSize: 1 });
    await runMigrations(old.dataSource);
    const runner = old.dataSource.createQueryRunner();
    await new AuditHardening1732900000000().down(runner);
    await runner.release();
    await old.dataSource.query(`DELETE FROM schema_migrations WHERE name = 'AuditHardening1732900000000'`);
    let prev = GENESIS_HASH;
    for (let i = 1; i <= 3; i++) {
      const row: Omit<AuditRow, 'hash'> = {
        seq: String(i),
        id: randomUUID(),
        tenant_id: null,
        kb_id: null,
        actor: 'admin:legacy',
        action: 'tenant.create',
        resource_id: null,
        outcome: 'success',
        http_status: 201,
        request_id: `legacy-${i}`,
        client_ip: '127.0.0.1',
        details: { route: '/api/v1/tenants' },
        created_at: new Date(Date.now() - (10 - i) * 1000),
        prev_hash: prev,
      };
      const hash = hashAuditRow(row);
      await old.dataSource.query(
        `INSERT INTO audit_log (seq, id, tenant_id, kb_id, actor, action, resource_id, outcome, http_status, request_id, client_ip, details, created_at, prev_hash, hash)
         VALUES ($1, $2, NULL, NULL, $3, $4, NULL, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [row.seq, row.id, row.actor, row.action, row.outcome, row.http_status, row.request_id, row.client_ip, JSON.stringify(row.details), row.created_at, row.prev_hash, hash],
      );
      prev = hash;
    }
    await old.close();

    const t = await startTestApp({ database: db });
    try {
      const a = await seedTenant(t, 'After Upgrade');
      await t.app.get(AuditService).flush();
      const v = await t.http.get('/api/v1/audit/verify', t.admin);
      expect(v.body.data).toMatchObject({ valid: true });
      const versions = await t.db.withPlatform((db) => db.many<any>(`SELECT seq::int AS seq, hash_version FROM audit_log WHERE tenant_id IS NULL ORDER BY seq`));
      expect(versions.slice(0, 3)).toEqual([1, 2, 3].map((seq) => ({ seq, hash_version: 1 })));
      expect(versions.length).toBeGreaterThan(3);
      expect(versions.slice(3).every((r: { hash_version: number }) => r.hash_version === 2)).toBe(true);
      const [cut] = await t.db.withPlatform((db) => db.many<any>(`SELECT value FROM platform_settings WHERE key = $1`, [LEGACY_CUTOVER_SETTING]));
      expect(JSON.parse(cut.value).chains).toEqual({ platform: { seq: '3', hash: prev } });
      expect(v.body.data.heads.map((h: { chain: string }) => h.chain)).toEqual(expect.arrayContaining(['platform', a.tenantId]));
      // A legacy row edited with its unkeyed hashes recomputed no longer matches the sealed cut-over.
      const [first] = await t.db.dataSource.query(
        `SELECT id, tenant_id, seq::text AS seq, kb_id, actor, action, resource_id, outcome, http_status, request_id, client_ip, details, created_at, prev_hash FROM audit_log WHERE tenant_id IS NULL AND seq = 3`,
      );
      const edited = { ...first, actor: 'admin:someone-else' };
      await t.db.dataSource.query(`UPDATE audit_log SET actor = $2, hash = $3 WHERE id = $1`, [first.id, edited.actor, hashAuditRow(edited)]);
      expect((await t.http.get('/api/v1/audit/verify', t.admin)).body.data).toMatchObject({ valid: false, first_broken_id: first.id });
    } finally {
      await t.close();
    }
  });
});
