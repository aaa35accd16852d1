import { randomUUID } from 'node:crypto';
import { IngestionWorker } from '../../src/rag/ingestion/ingestion.worker';
import { JobQueueRepository } from '../../src/rag/ingestion/job-queue.repository';
import { RagInstanceFactory } from '../../src/rag/rag-instance.factory';
import type { Credentials } from '../support/http';
import { kbPath } from '../support/rag';
import { seedTenant, startTestApp, TestApp } from '../support/test-app';

/**
 * The ingestion queue, driven step by step: the worker loops are off
 * (WORKER_CONCURRENCY=0) and the test calls IngestionWorker.processNext, so
 * claims, deaths and retries happen exactly where the test says.
 */
describe('ingestion queue: crash recovery, fairness, retries', () => {
  let t: TestApp;
  let worker: IngestionWorker;
  let A: { tenantId: string; kbIds: string[]; key: Credentials };
  let B: { tenantId: string; kbIds: string[]; key: Credentials };

  const platform = <T = any>(sql: string, params: unknown[] = []): Promise<T[]> => t.db.withPlatform((db) => db.many<any>(sql, params));
  const addText = async (tenant: { tenantId: string; kbIds: string[]; key: Credentials }, text: string) => {
    const r = await t.http.post(`${kbPath(tenant.tenantId, tenant.kbIds[0])}/documents/text`, { text, file_source: `${text.slice(0, 12)}.txt` }, tenant.key);
    if (r.status !== 202) throw new Error(`${r.status} ${r.text}`);
    return r.body.data.document_id as string;
  };
  const docStatus = async (tenant: { tenantId: string; kbIds: string[]; key: Credentials }, id: string) =>
    (await t.http.get(`${kbPath(tenant.tenantId, tenant.kbIds[0])}/documents/${id}`, tenant.key)).body.data;
  const docStatusIn = async (kb: string, id: string) => (await t.http.get(`${kbPath(A.tenantId, kb)}/documents/${id}`, A.key)).body.data;
  const drain = async () => {
    for (let i = 0; i < 500 && (await worker.processNext()); i++);
  };

  beforeAll(async () => {
    t = await startTestApp({ env: { WORKER_CONCURRENCY: '0' } });
    worker = t.app.get(IngestionWorker);
    A = await seedTenant(t, `Queue A ${randomUUID().slice(0, 6)}`);
    B = await seedTenant(t, `Queue B ${randomUUID().slice(0, 6)}`);
  });
  afterAll(() => t?.close());

  it('with no worker running, a new document stays pending and its job is queued', async () => {
    const id = await addText(A, 'Pending forever until a worker runs: Lisbon sits on the Tagus river.');
    expect((await docStatus(A, id)).status).toBe('pending');
    const jobs = await platform(`SELECT state, attempts FROM jobs WHERE document_id = $1`, [id]);
    expect(jobs).toEqual([{ state: 'pending', attempts: 0 }]);
    await drain();
    expect((await docStatus(A, id)).status).toBe('processed');
  });

  it('release (a job abandoned in a database outage): pending again at once, attempt not counted, document pending; a no-op for another worker or a finished job; then processed once', async () => {
    const queue = t.app.get(JobQueueRepository);
    const id = await addText(A, 'Released after an outage: the Danube passes Vienna, Bratislava and Budapest.');
    const claimed = (await worker.claimOnly('outage-worker'))!;
    expect(claimed.document_id).toBe(id);
    expect(await t.db.withPlatform((db) => queue.release(db, claimed.id, 'another-worker', 'x'))).toBe(0);
    expect(await t.db.withPlatform((db) => queue.release(db, claimed.id, 'outage-worker', 'the database was unavailable during this attempt'))).toBe(1);
    expect(await platform(`SELECT state, attempts, locked_by, run_at <= now() AS due, last_error FROM jobs WHERE id = $1`, [claimed.id])).toEqual([
      { state: 'pending', attempts: 0, locked_by: null, due: true, last_error: 'the database was unavailable during this attempt' },
    ]);
    expect((await docStatus(A, id)).status).toBe('pending');
    const run = await worker.processNext();
    expect(run?.job.id).toBe(claimed.id);
    expect(run?.outcome).toBe('processed');
    // Released again after it finished (its commit landed before the connection broke): nothing changes.
    expect(await t.db.withPlatform((db) => queue.release(db, claimed.id, worker.workerId, 'x'))).toBe(0);
    expect(await platform(`SELECT state, attempts FROM jobs WHERE id = $1`, [claimed.id])).toEqual([{ state: 'done', attempts: 1 }]);
    expect((await docStatus(A, id)).status).toBe('processed');
  });

  it('a worker that dies mid-job: the lock expires, the job is retried, the document ends processed with no duplicate chunks', async () => {
    const text = Array.from({ length: 40 }, (_, i) => `Paragraph ${i}: the Rhine flows through Basel, Strasbourg and Cologne before reaching Rotterdam.`).join('\n');
    const id = await addText(A, text);

    // A worker claims the job and dies: the document is "processing", the job "running".
    const claimed = await worker.claimOnly('doomed-worker');
    expect(claimed?.document_id).toBe(id);
    expect((await docStatus(A, id)).status).toBe('processing');
    expect(await worker.processNext()).toBeNull(); // nothing else to do while its lock is fresh

    // Its lock grows old (no heartbeat): the next poll returns it to the queue and runs it.
    await platform(`UPDATE jobs SET locked_at = now() - interval '1 hour' WHERE id = $1`, [claimed!.id]);
    expect(await worker.reclaimStale()).toBe(1);
    expect((await docStatus(A, id)).status).toBe('pending');
    const run = await worker.processNext();
    expect(run?.outcome).toBe('processed');
    const doc = await docStatus(A, id);
    expect(doc.status).toBe('processed');

    // The "dead" worker wakes up and tries to commit the same job: refused, nothing duplicated.
    const late = await t.app.get(IngestionWorker)['ingestion'].process(claimed!, 'doomed-worker');
    expect(late).toBe('lost');
    const chunks = await platform<{ n: number; distinct_idx: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT chunk_index)::int AS distinct_idx FROM chunks WHERE document_id = $1`,
      [id],
    );
    expect(chunks[0].n).toBe(doc.chunks_count);
    expect(chunks[0].distinct_idx).toBe(chunks[0].n);
    const job = await platform(`SELECT state, attempts FROM jobs WHERE id = $1`, [claimed!.id]);
    expect(job).toEqual([{ state: 'done', attempts: 2 }]);
    expect(await platform(`SELECT 1 FROM chunk_staging WHERE document_id = $1`, [id])).toEqual([]);
  });

  describe('chunk staging (big documents do not wait in memory for their commit)', () => {
    let kb: string;
    const sentences = (tag: string, n: number) =>
      Array.from({ length: n }, (_, i) => `${tag} sentence ${i}: Amelia Earhart flew from Newfoundland towards Paris over the Atlantic.`).join(' ');
    const addToSmallKb = async (text: string) => {
      const r = await t.http.post(`${kbPath(A.tenantId, kb)}/documents/text`, { text, file_source: `${text.slice(0, 10)}.txt` }, A.key);
      if (r.status !== 202) throw new Error(`${r.status} ${r.text}`);
      return r.body.data.document_id as string;
    };
    const counts = async (id: string) =>
      (
        await platform<{ staged: number; published: number }>(
          `SELECT (SELECT count(*)::int FROM chunk_staging WHERE document_id = $1) AS staged, (SELECT count(*)::int FROM chunks WHERE document_id = $1) AS published`,
          [id],
        )
      )[0];
    /** Wraps the tenant's extraction provider for one test: `onCall(n)` runs before the n-th extraction (1-based). */
    const interceptExtraction = async (onCall: (n: number) => Promise<void>) => {
      const { extraction } = (await t.app.get(RagInstanceFactory).get(A.tenantId, kb)).providers;
      const original = extraction.extract.bind(extraction);
      let n = 0;
      const spy = jest.spyOn(extraction, 'extract').mockImplementation(async (text, ctx) => {
        await onCall(++n);
        return original(text, ctx);
      });
      return () => spy.mockRestore();
    };

    beforeAll(async () => {
      await drain();
      const r = await t.http.post(
        `/api/v1/tenants/${A.tenantId}/knowledge-bases`,
        { kb_name: 'small-chunks', config: { chunk_token_size: 50, chunk_overlap_token_size: 5 } },
        t.admin,
      );
      expect(r.status).toBe(201);
      kb = r.body.data.kb_id;
    });

    it('while a document is being extracted, its embedded batches sit in chunk_staging, invisible to queries; the commit moves them all and empties the staging', async () => {
      const id = await addToSmallKb(sentences('Zanzibarian', 150));
      const seen: Array<{ staged: number; published: number; hits: number }> = [];
      const restore = await interceptExtraction(async (n) => {
        if (n !== 40) return; // the first batch of 32 chunks is staged, the second is being extracted
        const q = await t.http.post(`${kbPath(A.tenantId, kb)}/query`, { query: 'Zanzibarian sentence Earhart', mode: 'naive', only_need_context: true }, A.key);
        seen.push({ ...(await counts(id)), hits: q.body.data.context.chunks.length });
      });
      try {
        expect((await worker.processNext())?.outcome).toBe('processed');
      } finally {
        restore();
      }
      expect(seen).toEqual([{ staged: 32, published: 0, hits: 0 }]);
      const doc = await docStatusIn(kb, id);
      expect(doc.status).toBe('processed');
      expect(doc.chunks_count).toBeGreaterThan(40);
      expect(await counts(id)).toEqual({ staged: 0, published: doc.chunks_count });
      const idx = await platform<{ n: number; max: number }>(`SELECT count(DISTINCT chunk_index)::int AS n, max(chunk_index) AS max FROM chunks WHERE document_id = $1`, [id]);
      expect(idx[0]).toEqual({ n: doc.chunks_count, max: doc.chunks_count - 1 });
    });

    it('a retry clears what a crashed attempt staged and publishes each chunk once', async () => {
      const id = await addToSmallKb(sentences('Quetzalian', 45));
      // What a process killed mid-document leaves: rows of an attempt that will never commit.
      await t.db.withTenant(A.tenantId, (db) =>
        db.many<any>(
          `INSERT INTO chunk_staging (tenant_id, kb_id, document_id, attempt, chunk_index, content, tokens, embedding)
           SELECT $1, $2, $3, $4, i, 'stale chunk ' || i, 3, array_fill(0.5::real, ARRAY[8])::vector FROM generate_series(0, 9) i`,
          [A.tenantId, kb, id, randomUUID()],
        ),
      );
      expect((await counts(id)).staged).toBe(10);
      expect((await worker.processNext())?.outcome).toBe('processed');
      const doc = await docStatusIn(kb, id);
      expect(await counts(id)).toEqual({ staged: 0, published: doc.chunks_count });
      expect(await platform(`SELECT 1 FROM chunks WHERE document_id = $1 AND content LIKE 'stale chunk%'`, [id])).toEqual([]);
    });

    it('an attempt that fails after staging takes its rows away (the retry, or nobody, starts clean)', async () => {
      const id = await addToSmallKb(sentences('Vanuatuan', 120));
      const restore = await interceptExtraction(async (n) => {
        if (n === 36) throw new Error('extraction service fell over');
      });
      try {
        expect((await worker.processNext())?.outcome).toBe('retry');
      } finally {
        restore();
      }
      expect(await counts(id)).toEqual({ staged: 0, published: 0 });
      expect((await docStatusIn(kb, id)).status).toBe('pending');
      await platform(`UPDATE jobs SET run_at = now() WHERE document_id = $1`, [id]);
      expect((await worker.processNext())?.outcome).toBe('processed');
      expect((await counts(id)).staged).toBe(0);
    });

    it('a worker that no longer owns its job does not clear the staging of the worker that replaced it', async () => {
      const id = await addToSmallKb(sentences('Tuvaluan', 10));
      const stale = (await worker.claimOnly('slow-starter'))!;
      await platform(`UPDATE jobs SET locked_at = now() - interval '1 hour' WHERE id = $1`, [stale.id]);
      await worker.reclaimStale();
      const current = (await worker.claimOnly('replacement'))!;
      expect(current.id).toBe(stale.id);
      const theirs = randomUUID();
      await t.db.withTenant(A.tenantId, (db) =>
        db.many<any>(
          `INSERT INTO chunk_staging (tenant_id, kb_id, document_id, attempt, chunk_index, content, tokens, embedding)
           VALUES ($1, $2, $3, $4, 0, 'the replacement is working', 4, array_fill(0.5::real, ARRAY[8])::vector)`,
          [A.tenantId, kb, id, theirs],
        ),
      );
      // The slow starter finally begins: it must notice it lost the job before touching anything.
      expect(await t.app.get(IngestionWorker)['ingestion'].process(stale, 'slow-starter')).toBe('lost');
      expect(await platform(`SELECT attempt FROM chunk_staging WHERE document_id = $1`, [id])).toEqual([{ attempt: theirs }]);
      await platform(`UPDATE jobs SET locked_at = now() - interval '1 hour' WHERE id = $1`, [stale.id]);
      await worker.reclaimStale();
      expect((await worker.processNext())?.outcome).toBe('processed');
      expect((await counts(id)).staged).toBe(0);
    });
  });

  it('re-running a document that was already committed replaces its chunks instead of duplicating them', async () => {
    const id = await addText(A, 'Vienna lies on the Danube. Budapest lies on the Danube too.');
    await drain();
    const before = await platform<{ n: number }>(`SELECT count(*)::int AS n FROM chunks WHERE document_id = $1`, [id]);
    // Force a second run of the same document (as after a lost acknowledgement).
    await platform(`UPDATE jobs SET state = 'pending', run_at = now() WHERE document_id = $1`, [id]);
    expect((await worker.processNext())?.outcome).toBe('processed');
    const after = await platform<{ n: number }>(`SELECT count(*)::int AS n FROM chunks WHERE document_id = $1`, [id]);
    expect(after[0].n).toBe(before[0].n);
    const support = await platform<{ n: number }>(`SELECT count(*)::int AS n FROM entity_chunks ec JOIN chunks c ON c.id = ec.chunk_id WHERE c.document_id = $1`, [id]);
    expect(support[0].n).toBeGreaterThan(0);
  });

  it('fairness: tenant B’s single document is processed right after tenant A’s first of many', async () => {
    await drain();
    const manyA: string[] = [];
    for (let i = 0; i < 25; i++) manyA.push(await addText(A, `Bulk document ${i} of tenant A about the harbour of Hamburg, crate ${randomUUID()}.`));
    const single = await addText(B, 'Tenant B has one urgent document about the lighthouse of Alexandria.');
    const order: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await worker.processNext();
      if (r) order.push(r.job.tenant_id === B.tenantId ? 'B' : 'A');
    }
    expect(order).toContain('B');
    expect(order.indexOf('B')).toBeLessThanOrEqual(1);
    expect((await docStatus(B, single)).status).toBe('processed');
    expect((await t.http.get(`${kbPath(A.tenantId, A.kbIds[0])}/documents?status=pending`, A.key)).body.meta.total).toBeGreaterThanOrEqual(22);
    await drain();
    expect((await t.http.get(`${kbPath(A.tenantId, A.kbIds[0])}/documents?status=processed&limit=200`, A.key)).body.meta.total).toBeGreaterThanOrEqual(manyA.length);
  });

  it('two workers never process the same job', async () => {
    const ids = [await addText(B, 'Concurrency one: Oslo fjord ferries.'), await addText(B, 'Concurrency two: Bergen fish market.')];
    const [x, y] = await Promise.all([worker.claimOnly('w1'), worker.claimOnly('w2')]);
    expect(x && y).toBeTruthy();
    expect(x!.id).not.toBe(y!.id);
    expect(new Set([x!.document_id, y!.document_id])).toEqual(new Set(ids));
    // Give them back and finish.
    await platform(`UPDATE jobs SET locked_at = now() - interval '1 hour' WHERE id = ANY($1::uuid[])`, [[x!.id, y!.id]]);
    await worker.reclaimStale();
    await drain();
    for (const id of ids) expect((await docStatus(B, id)).status).toBe('processed');
  });

  it('a job whose worker keeps dying ends failed with an error, never stuck in processing', async () => {
    const id = await addText(B, 'Cursed document about the Bermuda triangle.');
    await platform(`UPDATE jobs SET max_attempts = 2 WHERE document_id = $1`, [id]);
    for (let i = 0; i < 2; i++) {
      const j = await worker.claimOnly(`dying-${i}`);
      expect(j?.document_id).toBe(id);
      await platform(`UPDATE jobs SET locked_at = now() - interval '1 hour' WHERE id = $1`, [j!.id]);
      await worker.reclaimStale();
    }
    const doc = await docStatus(B, id);
    expect(doc.status).toBe('failed');
    expect(doc.error).toMatch(/stopped responding/);
    expect(await platform(`SELECT state FROM jobs WHERE document_id = $1`, [id])).toEqual([{ state: 'failed' }]);
  });

  it('a failed attempt is retried later with exponential backoff (run_at moves forward)', async () => {
    const id = await addText(A, 'Backoff document about the Aral Sea.');
    const j = await worker.claimOnly('flaky');
    expect(j?.document_id).toBe(id);
    const queue = t.app.get(IngestionWorker)['queue'];
    const state = await t.db.withTenant(A.tenantId, (db) => queue.fail(db, A.tenantId, j!.id, 'flaky', 'embedding service timed out', true, 2000));
    expect(state).toBe('pending');
    const [row] = await platform<{ delay: number; last_error: string }>(`SELECT extract(epoch FROM run_at - now()) AS delay, last_error FROM jobs WHERE id = $1`, [j!.id]);
    expect(Number(row.delay)).toBeGreaterThan(1);
    expect(row.last_error).toBe('embedding service timed out');
    expect(await worker.processNext()).toBeNull(); // not due yet
    await platform(`UPDATE jobs SET run_at = now() WHERE id = $1`, [j!.id]);
    expect((await worker.processNext())?.outcome).toBe('processed');
  });

  it('deleting a pending document removes its job', async () => {
    const id = await addText(A, 'Short-lived document about Atlantis.');
    const del = await t.http.delete(`${kbPath(A.tenantId, A.kbIds[0])}/documents/${id}`, A.key);
    expect(del.status).toBe(200);
    expect(await platform(`SELECT id FROM jobs WHERE document_id = $1`, [id])).toEqual([]);
  });
  // Needs two connections at once: PGlite has one (there, transactions run one after another anyway).
  (process.env.TEST_DATABASE_URL ? it : it.skip)('heartbeats and reclaims skip a job whose worker is inside its commit instead of queueing behind it', async () => {
    const id = await addText(A, 'A document whose commit takes a while: the Orinoco delta.');
    const job = (await worker.claimOnly('committing-worker'))!;
    expect(job.document_id).toBe(id);
    const queue = worker['queue'];
    await platform(`UPDATE jobs SET locked_at = now() - interval '1 hour' WHERE id = $1`, [job.id]);
    let finish!: () => void;
    const held = new Promise<void>((r) => (finish = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const commit = t.db.withTenant(A.tenantId, async (db) => {
      expect(await queue.lockIfOwned(db, A.tenantId, job.id, 'committing-worker')).toBe(true);
      locked();
      await held;
    });
    await isLocked;
    // Both answer at once (without the skip they would wait for the transaction, and this test would time out).
    expect(await t.db.withPlatform((db) => queue.heartbeat(db, job.id, 'committing-worker'))).toBe(false);
    expect(await worker.reclaimStale()).toBe(0);
    finish();
    await commit;
    expect(await worker.reclaimStale()).toBe(1);
    await drain();
    expect((await docStatus(A, id)).status).toBe('processed');
  });
});
