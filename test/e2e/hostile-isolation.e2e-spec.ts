import { randomUUID } from 'node:crypto';
import { docxBomb } from '../../src/documents/parsers/testing/fixtures';
import type { Credentials } from '../support/http';
import { peakRssDuring, watchHealth } from '../support/health-watch';
import { kbPath, waitForProcessed } from '../support/rag';
import { seedTenant, startTestApp, TestApp } from '../support/test-app';

/**
 * One tenant cannot stall another (issue: "one request freezes every
 * tenant"). Each hostile request of an ordinary tenant credential runs while
 * another client polls GET /health from its own process; the server must
 * answer that client within 1 s throughout, the hostile request must end —
 * in an answer, a clear 4xx or a failed document — never a hang, and the
 * process's RSS must not grow by more than RSS_GROWTH_BOUND_MB meanwhile.
 * Before the fix: a 10 000-letter one-word query blocked /health 9–53 s, an
 * 8 KB one-word document 14.5 s, a 256 KB HTML of unclosed tags 14 s.
 */
const HEALTH_BOUND_MS = 1000;

/**
 * The bound is a wall-clock time on a shared 2-core machine where other test
 * files run at the same time: one over-the-bound sample by scheduling alone
 * (seen once: 1 035 ms) must not fail CI, so each case runs again once. A real
 * stall — the seconds-long, input-driven blocking this file is about — is
 * deterministic and fails both runs. HEALTH_LOG=1 prints each case's figures.
 */
jest.retryTimes(1, { logErrorsBeforeRetry: true });

/**
 * Peak growth of this process's RSS (the app, its compute threads and the
 * test) while one hostile request runs. The server before the fix went from
 * 0.86 to 4.1 GB on one DOCX bomb; the bound leaves room for the two compute
 * threads starting (each loads the tokenizer and the NLP lexicon) and one
 * document's largest allowed text.
 */
const RSS_GROWTH_BOUND_MB = 600;

async function underWatch<T>(t: TestApp, work: () => Promise<T>): Promise<T> {
  const watch = watchHealth(t.url);
  await watch.ready;
  let result: T;
  try {
    const { result: r, baseMb, peakMb } = await peakRssDuring(work);
    result = r;
    expect(peakMb - baseMb).toBeLessThan(RSS_GROWTH_BOUND_MB);
  } finally {
    const stats = await watch.stop();
    if (process.env.HEALTH_LOG) process.stdout.write(`health: ${JSON.stringify(stats)}\n`);
    expect(stats.errors).toBe(0);
    expect(stats.count).toBeGreaterThan(0);
    expect(stats.maxMs).toBeLessThan(HEALTH_BOUND_MS);
  }
  return result;
}

function upload(t: TestApp, tenantId: string, kbId: string, as: Credentials, name: string, data: Buffer | string, type: string) {
  const form = new FormData();
  form.append('file', new Blob([typeof data === 'string' ? Buffer.from(data) : data], { type }), name);
  return t.http.request('POST', `${kbPath(tenantId, kbId)}/documents/add`, { raw: form, as });
}

async function settled(t: TestApp, tenantId: string, kbId: string, id: string, as: Credentials, timeoutMs = 90_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await t.http.get(`${kbPath(tenantId, kbId)}/documents/${id}`, as);
    if (r.body?.data?.status === 'processed' || r.body?.data?.status === 'failed') return r.body.data;
    if (Date.now() > deadline) throw new Error(`document ${id} still ${r.body?.data?.status} after ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

describe('one tenant cannot stall another: hostile input against GET /health of another client', () => {
  let t: TestApp;
  let A: { tenantId: string; kbIds: string[]; key: Credentials };

  beforeAll(async () => {
    t = await startTestApp();
    A = await seedTenant(t, `Hostile ${randomUUID().slice(0, 6)}`);
    const r = await t.http.post(
      `${kbPath(A.tenantId, A.kbIds[0])}/documents/text`,
      { text: 'The lighthouse keeper of Porto logs every ship that enters the harbour.', file_source: 'seed.txt' },
      A.key,
    );
    await waitForProcessed(t.http, A.tenantId, A.kbIds[0], r.body.data.document_id, A.key);
  });
  afterAll(() => t?.close());

  const queries: Array<[string, string, string]> = [
    ['a 10 000-letter one-word query', 'bypass', 'a'.repeat(10_000)],
    ['a 10 000-letter one-word query', 'naive', 'b'.repeat(10_000)],
    ['a 10 000-letter one-word query', 'mix', 'c'.repeat(10_000)],
    ['a 10 000-character CJK query', 'mix', '漢字仮名交じり文中国語日本'.repeat(769)],
    ['a 10 000-character query of capitalised two-letter words (the NLP tagger)', 'hybrid', 'Aa '.repeat(3333)],
  ];
  it.each(queries)('%s in %s mode answers 200 while /health stays under 1 s', async (_label, mode, query) => {
    const r = await underWatch(t, () => t.http.post(`${kbPath(A.tenantId, A.kbIds[0])}/query`, { query, mode }, A.key));
    expect(r.status).toBe(200);
  });

  it('a 2 MB one-word text document is ingested (or fails cleanly) while /health stays under 1 s', async () => {
    const doc = await underWatch(t, async () => {
      // One word per attempt, a different one each time: a retry of this test must not find the first attempt's document (409 duplicate).
      const word = `${randomUUID().replace(/-/g, '')}${'x'.repeat(2_000_000 - 32)}`;
      const r = await t.http.post(`${kbPath(A.tenantId, A.kbIds[0])}/documents/text`, { text: word, file_source: 'word.txt' }, A.key);
      expect(r.status).toBe(202);
      return settled(t, A.tenantId, A.kbIds[0], r.body.data.document_id, A.key);
    });
    expect(doc.status).toBe('processed');
    expect(doc.chunks_count).toBeGreaterThan(100);
    // Its chunks then come back through retrieval, re-rank and the extractive answer.
    const q = await underWatch(t, () => t.http.post(`${kbPath(A.tenantId, A.kbIds[0])}/query`, { query: 'x'.repeat(5000), mode: 'mix', top_k: 200, chunk_top_k: 200 }, A.key));
    expect(q.status).toBe(200);
  });

  it('a 256 KB HTML upload of unclosed tags is answered (202 or 4xx) while /health stays under 1 s', async () => {
    const html = '<a'.repeat(64 * 1024) + '<script '.repeat(16 * 1024);
    const r = await underWatch(t, () => upload(t, A.tenantId, A.kbIds[0], A.key, 'tags.html', html, 'text/html'));
    expect([202, 400, 413]).toContain(r.status);
    if (r.status !== 202) expect(r.body.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
  });

  it('a DOCX whose text inflates to 64 MB is refused with a clear 4xx while /health stays under 1 s', async () => {
    const bomb = await docxBomb(64);
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const r = await underWatch(t, () => upload(t, A.tenantId, A.kbIds[0], A.key, 'bomb.docx', bomb, 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'));
    expect([400, 413]).toContain(r.status);
    expect(r.body.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
  });
});

describe('a document past its time budget fails for good, off the request thread', () => {
  let t: TestApp;
  let A: { tenantId: string; kbIds: string[]; key: Credentials };

  beforeAll(async () => {
    t = await startTestApp({ env: { JOB_TIME_BUDGET_S: '1' } });
    A = await seedTenant(t, `Budget ${randomUUID().slice(0, 6)}`);
  });
  afterAll(() => t?.close());

  it('a document that needs more than JOB_TIME_BUDGET_S ends failed with a readable error after one attempt', async () => {
    const sentence = (i: number) => `Captain Ahab Number${i} sailed from Nantucket with Starbuck and Queequeg to hunt the whale in the Pacific. `;
    // A fresh text per attempt: a retry of this test must not find the first attempt's document (409 duplicate).
    const text = `${randomUUID()} ${Array.from({ length: 20_000 }, (_, i) => sentence(i)).join('')}`;
    const doc = await underWatch(t, async () => {
      const r = await t.http.post(`${kbPath(A.tenantId, A.kbIds[0])}/documents/text`, { text, file_source: 'long.txt' }, A.key);
      expect(r.status).toBe(202);
      return settled(t, A.tenantId, A.kbIds[0], r.body.data.document_id, A.key);
    });
    expect(doc.status).toBe('failed');
    expect(doc.error).toMatch(/JOB_TIME_BUDGET_S/);
    expect(doc.chunks_count).toBe(0);
    const jobs: Array<{ attempts: number; state: string }> = await t.db.withPlatform((db) =>
      db.many<any>(`SELECT attempts, state FROM jobs WHERE document_id = $1`, [doc.document_id]),
    );
    expect(jobs.length).toBeLessThanOrEqual(1);
    if (jobs.length) expect(jobs[0]).toMatchObject({ attempts: 1, state: 'failed' });
  });
});
