import { randomUUID } from 'node:crypto';
import { fillAuditChain } from '../support/audit';
import { PlannerStatistics, RAG_TABLES, STATS_TABLES } from '../../src/rag/storage/planner-statistics';
import { addTextAndWait } from '../support/rag';
import { seedTenant, startTestApp, TestApp } from '../support/test-app';

/**
 * Planner statistics follow indexing (PGlite has no autovacuum; a server's
 * lags a bulk load): after documents are indexed the RAG tables are analyzed,
 * and a table that has not grown is left alone. The audit log, which grows
 * with every request, is analyzed too (the check also runs every minute), so
 * a chain walk's page read uses the (tenant_id, seq) index.
 */
describe('planner statistics of the RAG tables and the audit log', () => {
  let t: TestApp;
  const stats = () => t.app.get(PlannerStatistics);
  const analyzed = async (): Promise<Record<string, number>> => {
    const rows: Array<{ relname: string; reltuples: number }> = await t.db.dataSource.query(
      `SELECT relname, reltuples::float8 AS reltuples FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relname = ANY($1)`,
      [[...STATS_TABLES]],
    );
    return Object.fromEntries(rows.map((r) => [r.relname, Number(r.reltuples)]));
  };

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('are refreshed after documents are indexed, and only for tables that grew', async () => {
    const A = await seedTenant(t, `Stats ${randomUUID().slice(0, 6)}`, ['kb']);
    const people = ['Ada Lovelace', 'Alan Turing', 'Grace Hopper', 'Marie Curie', 'Niels Bohr', 'Emmy Noether'];
    for (let i = 0; i < 6; i++) {
      const text = Array.from({ length: 40 }, (_, j) => `${people[(i + j) % 6]} met ${people[(i + j + 1) % 6]} in Paris in year ${1900 + i * 40 + j} to discuss engine ${j}.`).join(
        ' ',
      );
      await addTextAndWait(t.http, A.tenantId, A.kbIds[0], text, `doc-${i}.txt`, A.key);
    }
    await stats().settled();
    const after = await analyzed();
    for (const table of ['chunks', 'entities', 'relations']) expect(after[table]).toBeGreaterThan(0);
    // Nothing grew since: a refresh analyzes none of them (the requests above may have added audit rows since).
    expect((await stats().refresh()).filter((n) => (RAG_TABLES as readonly string[]).includes(n))).toEqual([]);
  });
  it("the audit log is analyzed once it grew, and a tenant's chain page is then read through the (tenant_id, seq) index", async () => {
    const A = await seedTenant(t, `Audit ${randomUUID().slice(0, 6)}`, ['kb']);
    await stats().refresh();
    await fillAuditChain(t, A.tenantId, 5000);
    expect(await stats().refresh()).toContain('audit_log');
    expect((await analyzed()).audit_log).toBeGreaterThanOrEqual(5000);
    const plan: Array<{ 'QUERY PLAN': string }> = await t.db.dataSource.query(`EXPLAIN SELECT seq FROM audit_log WHERE tenant_id = $1 AND seq > 2500 ORDER BY seq LIMIT 250`, [
      A.tenantId,
    ]);
    expect(plan.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/Index (Only )?Scan using audit_log_tenant_seq_idx/);
  });
  it('the embedded database checkpoints when WAL piled up (a no-op on a server, which has a checkpointer)', async () => {
    await t.db.dataSource.query(`CREATE TEMP TABLE IF NOT EXISTS wal_filler AS SELECT 1 AS x`); // some WAL of its own
    const embedded = t.db.kind === 'pglite';
    expect(await t.db.checkpointIfDue(Number.MAX_SAFE_INTEGER)).toBe(false);
    expect(await t.db.checkpointIfDue(-1)).toBe(embedded);
    if (embedded) {
      const [row] = await t.db.dataSource.query(`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), redo_lsn)::bigint AS bytes FROM pg_control_checkpoint()`);
      expect(Number(row.bytes)).toBeLessThan(64 * 1024);
    }
  });
});
