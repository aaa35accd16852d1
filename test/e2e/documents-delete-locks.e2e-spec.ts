import { Client } from 'pg';
import type { ApiResponse } from '../support/http';
import { seedTenant, startTestApp, TestApp } from '../support/test-app';

/**
 * Deleting documents takes their jobs' locks before the document rows — the
 * order ingestion takes them in (claim, commit, fail and reclaim lock the job,
 * then the document). Found by bench/load-canaries.js: a DELETE of a document
 * whose ingestion was committing locked the document, then waited for the
 * job, while the commit held the job and waited for the document — PostgreSQL
 * broke the deadlock (40P01) and the DELETE answered 500.
 *
 * Here a transaction plays the ingestion commit: it locks the job, the DELETE
 * starts and waits, then the transaction locks the document. In the old order
 * that last lock closes the cycle (one side fails with 40P01 after
 * deadlock_timeout); in the new one it is free, because the DELETE is still
 * waiting for the job and holds nothing of the document.
 * A real server only: the embedded PGlite has one connection, so no two
 * transactions ever wait for each other.
 */
const onServer = process.env.TEST_DATABASE_URL ? describe : describe.skip;

onServer('deleting documents locks their jobs before the document rows (the ingestion lock order)', () => {
  let t: TestApp;
  let sql: Client;

  beforeAll(async () => {
    // No worker: the jobs stay where the test puts its locks.
    t = await startTestApp({ env: { WORKER_CONCURRENCY: '0' } });
    sql = new Client({ connectionString: t.database.url! });
    await sql.connect();
  });
  afterAll(async () => {
    await sql?.end();
    await t?.close();
  });

  /** Holds the job rows like an ingestion commit, lets `del` start and wait, then locks the document rows; returns what each side got. */
  async function raceWithCommit(jobIds: string[], docIds: string[], del: () => Promise<ApiResponse>) {
    await sql.query('BEGIN');
    await sql.query(`SET LOCAL lock_timeout = '15s'`);
    const jobs = await sql.query('SELECT id FROM jobs WHERE id = ANY($1::uuid[]) FOR UPDATE', [jobIds]);
    expect(jobs.rowCount).toBe(jobIds.length);
    const deletion = del();
    // The DELETE is waiting for a lock (on the jobs, in the new order).
    const started = Date.now();
    for (;;) {
      const w = new Client({ connectionString: t.database.url! });
      await w.connect();
      const n = (await w.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).rows[0].n;
      await w.end();
      if (n > 0) break;
      if (Date.now() - started > 15_000) throw new Error('the DELETE never waited for the job lock');
      await new Promise((r) => setTimeout(r, 50));
    }
    const commit = await sql.query('SELECT id FROM documents WHERE id = ANY($1::uuid[]) FOR UPDATE', [docIds]).then(
      (r) => `locked ${r.rowCount}`,
      (err: { code?: string }) => `error ${err.code}`,
    );
    await sql.query(commit.startsWith('locked') ? 'COMMIT' : 'ROLLBACK');
    const answer = await deletion;
    return { commit, status: answer.status };
  }

  const addText = async (s: Awaited<ReturnType<typeof seedTenant>>, text: string): Promise<string> => {
    const r = await t.http.post(`/api/v1/tenants/${s.tenantId}/knowledge-bases/${s.kbIds[0]}/documents/text`, { text }, s.key);
    expect(r.status).toBe(202);
    return r.body.data.document_id;
  };
  const jobsOf = async (docIds: string[]) => (await sql.query('SELECT id FROM jobs WHERE document_id = ANY($1::uuid[])', [docIds])).rows.map((r) => r.id as string);
  const docsLeft = async (docIds: string[]) => (await sql.query('SELECT count(*)::int AS n FROM documents WHERE id = ANY($1::uuid[])', [docIds])).rows[0].n;

  it('DELETE …/documents/:id while a commit holds its job: the commit then takes the document row, the DELETE answers 200, document and job gone', async () => {
    const s = await seedTenant(t, 'Delete lock order');
    const doc = await addText(s, 'The harbour of Lisbon was visited by Ada Lovelace in 1843.');
    const jobs = await jobsOf([doc]);
    expect(jobs).toHaveLength(1);
    const got = await raceWithCommit(jobs, [doc], () => t.http.delete(`/api/v1/tenants/${s.tenantId}/knowledge-bases/${s.kbIds[0]}/documents/${doc}`, s.key));
    expect(got).toEqual({ commit: 'locked 1', status: 200 });
    expect(await docsLeft([doc])).toBe(0);
    expect(await jobsOf([doc])).toEqual([]);
  }, 60_000);

  it('DELETE /lightrag/w/<kb>/documents (every document of the KB) while a commit holds one job: the commit takes the document rows, the DELETE answers 200, all gone', async () => {
    const s = await seedTenant(t, 'Clear lock order', ['clear-me']);
    const docs = [await addText(s, 'The observatory in Oslo was opened by Grace Hopper.'), await addText(s, 'The archive in Cairo was catalogued by Alan Turing.')];
    const jobs = await jobsOf(docs);
    expect(jobs).toHaveLength(2);
    const got = await raceWithCommit(jobs.slice(0, 1), docs, () => t.http.delete('/lightrag/w/clear-me/documents', s.key));
    expect(got).toEqual({ commit: 'locked 2', status: 200 });
    expect(await docsLeft(docs)).toBe(0);
    expect(await jobsOf(docs)).toEqual([]);
  }, 60_000);
});
