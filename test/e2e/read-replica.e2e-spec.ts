import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { PrivatePostgres, privatePostgresUnavailable } from '../support/private-postgres';
import { addTextAndWait } from '../support/rag';
import { METRICS_TOKEN, seedTenant, startTestApp, TestApp } from '../support/test-app';

/**
 * DATABASE_READ_URL against a real streaming replica: a private PostgreSQL
 * cluster (the shared server has no replication rule in pg_hba.conf, and is
 * never touched) and a hot standby made of it with `pg_basebackup -R`. The
 * app writes to the primary and serves queries, graph reads and document
 * lists from the standby — shown by pausing the standby's replay: a tenant
 * that has just written reads its own write (from the primary), a tenant
 * that has not reads the standby's (stale) copy. Row-level security holds on
 * the standby; a standby that goes away is replaced by the primary. Real-server
 * leg only, like the other private-cluster suites.
 */
const unavailable = process.env.TEST_DATABASE_URL ? privatePostgresUnavailable() : 'the real-server leg only (TEST_DATABASE_URL)';
const MODES = ['naive', 'local', 'global', 'hybrid', 'mix'] as const;

(unavailable ? describe.skip : describe)(`read replicas (DATABASE_READ_URL)${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let primary: PrivatePostgres;
  let standby: PrivatePostgres;
  let standbySql: Client;
  let t: TestApp;
  const canary = { A: `canarya${randomBytes(4).toString('hex')}`, B: `canaryb${randomBytes(4).toString('hex')}` };
  let A: Awaited<ReturnType<typeof seedTenant>>;
  let B: Awaited<ReturnType<typeof seedTenant>>;

  const list = async (who: typeof A) =>
    ((await t.http.get(`/api/v1/tenants/${who.tenantId}/knowledge-bases/${who.kbIds[0]}/documents?limit=100`, who.key)).body.data as Array<{ file_path: string }>).map(
      (d) => d.file_path,
    );
  const query = (who: typeof A, mode: string, q: string) => t.http.post(`/api/v1/tenants/${who.tenantId}/knowledge-bases/${who.kbIds[0]}/query`, { query: q, mode }, who.key);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  beforeAll(async () => {
    primary = await PrivatePostgres.create();
    await primary.start();
    standby = await primary.standby();
    await standby.start();
    standbySql = new Client({ connectionString: standby.url });
    await standbySql.connect();
    t = await startTestApp({
      database: { env: { DATABASE_URL: primary.url, DATABASE_READ_URL: standby.url }, url: primary.url, drop: async () => undefined },
      env: { RATE_LIMIT_QUERIES_PER_MINUTE: '100000' },
    });
    A = await seedTenant(t, 'Replica A');
    B = await seedTenant(t, 'Replica B');
    await addTextAndWait(t.http, A.tenantId, A.kbIds[0], `The lighthouse of Osk keeps the code ${canary.A} for ships of the northern harbour.`, 'a.txt', A.key);
    await addTextAndWait(t.http, B.tenantId, B.kbIds[0], `The lighthouse of Osk keeps the code ${canary.B} for ships of the southern harbour.`, 'b.txt', B.key);
    // The standby has replayed everything so far, and both tenants are past their read-your-own-writes window.
    const lsn = (await t.db.dataSource.query('SELECT pg_current_wal_lsn()::text AS lsn'))[0].lsn;
    for (let i = 0; i < 200; i++) {
      const r = await standbySql.query(`SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), $1::pg_lsn) >= 0 AS caught_up`, [lsn]);
      if (r.rows[0].caught_up) break;
      await sleep(25);
    }
    await sleep(2100);
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    await standbySql?.end().catch(() => undefined);
    await standby?.destroy();
    await primary?.destroy();
  });

  it('queries in every mode are served by the standby, and neither tenant ever sees the other’s canary there', async () => {
    const before = { ...t.db.reads };
    for (const mode of MODES)
      for (const [who, own, other] of [
        [A, canary.A, canary.B],
        [B, canary.B, canary.A],
      ] as const) {
        // The question names the other tenant's code: a hostile search that must find nothing of it.
        const r = await query(who, mode, `Which code does the lighthouse of Osk keep? ${other}`);
        expect(r.status).toBe(200);
        const text = JSON.stringify(r.body);
        expect(text).not.toContain(other);
        if (mode === 'naive') expect(text).toContain(own);
      }
    expect(t.db.reads.replica - before.replica).toBeGreaterThanOrEqual(MODES.length * 2);
    expect(t.db.reads.primary - before.primary).toBe(0);
    const scraped = await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }).then((r) => r.text());
    expect(Number(/^database_reads\{target="replica"\} (\d+)$/m.exec(scraped)?.[1])).toBeGreaterThanOrEqual(MODES.length * 2);
  });

  it('row-level security holds on the standby: as strata_app a tenant sees only its own rows, and nothing without a tenant', async () => {
    const asTenant = async (tenantId: string | null) => {
      await standbySql.query('BEGIN READ ONLY');
      try {
        await standbySql.query(`SELECT set_config('role', 'strata_app', true), set_config('app.tenant_id', $1, true)`, [tenantId ?? '']);
        return (await standbySql.query(`SELECT DISTINCT tenant_id::text AS t FROM chunks`)).rows.map((r) => r.t);
      } finally {
        await standbySql.query('ROLLBACK');
      }
    };
    expect(await asTenant(A.tenantId)).toEqual([A.tenantId]);
    expect(await asTenant(B.tenantId)).toEqual([B.tenantId]);
    expect(await asTenant(null)).toEqual([]);
  });

  it("with the standby's replay paused: the tenant that just wrote lists its new document (primary); two seconds after its last write (the document's ingestion included) its list comes from the standby and lacks it until replay resumes", async () => {
    await standbySql.query('SELECT pg_wal_replay_pause()');
    try {
      const r = await t.http.post(
        `/api/v1/tenants/${A.tenantId}/knowledge-bases/${A.kbIds[0]}/documents/text`,
        { text: 'A late addition about the harbour.', file_source: 'late.txt' },
        A.key,
      );
      expect(r.status).toBe(202);
      expect(await list(A)).toContain('late.txt'); // read-your-own-writes: on the primary
      // The ingestion worker's writes are the tenant's writes too (its status
      // polls must see them): the window runs from the last of them, which
      // under load can come well after the upload's answer.
      const status = async () =>
        (await t.db.dataSource.query(`SELECT status FROM documents WHERE tenant_id = $1 AND file_path = 'late.txt'`, [A.tenantId]))[0]?.status as string | undefined;
      for (let i = 0; i < 1200 && !['processed', 'failed'].includes((await status()) ?? ''); i++) await sleep(25);
      expect(await status()).toBe('processed');
      await sleep(2500); // STICKY_AFTER_WRITE_MS (2 s) from the commit the poll just saw, with room for a busy event loop
      expect(await list(A)).not.toContain('late.txt'); // the standby, frozen before the write
      expect(await list(B)).toEqual(['b.txt']);
    } finally {
      await standbySql.query('SELECT pg_wal_replay_resume()');
    }
    for (let i = 0; i < 200 && !(await list(A)).includes('late.txt'); i++) await sleep(25);
    expect(await list(A)).toContain('late.txt');
  });

  it('a standby that stops is replaced by the primary: queries keep answering 200', async () => {
    await standbySql.end().catch(() => undefined);
    await standby.stop('immediate');
    const before = { ...t.db.reads };
    for (const mode of MODES) expect((await query(B, mode, 'Which code does the lighthouse keep?')).status).toBe(200);
    expect(t.db.reads.primary - before.primary).toBeGreaterThanOrEqual(MODES.length);
  });
});
