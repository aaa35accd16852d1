import { randomUUID } from 'node:crypto';
import { addTextAndWait, kbPath } from '../support/rag';
import { seedTenant, startTestApp, TestApp } from '../support/test-app';
import type { Credentials } from '../support/http';

/**
 * The lexical re-rank after fusion (ADR 003): on by default, off per KB
 * (config enable_rerank) or per query (enable_rerank), validated. With it the
 * best chunk scores 1 (combined score scaled to [0, 1]); without it chunk
 * scores are reciprocal-rank-fusion sums (at most 2 / 61 in naive mode, 2.2 / 61 in mix).
 */
describe('query re-rank', () => {
  let t: TestApp;
  let A: { tenantId: string; kbIds: string[]; key: Credentials };
  let answerId: string;
  const RRF_MAX = 2 / 61 + 1e-6;
  /** mix adds the two graph-derived lists at weight 0.1 each. */
  const RRF_MAX_MIX = 2.2 / 61 + 1e-6;

  const query = (kbId: string, body: Record<string, unknown>) => t.http.post(`${kbPath(A.tenantId, kbId)}/query`, body, A.key);

  beforeAll(async () => {
    t = await startTestApp();
    A = await seedTenant(t, `Rerank ${randomUUID().slice(0, 6)}`, ['on', 'off']);
    const off = await t.http.patch(kbPath(A.tenantId, A.kbIds[1]), { config: { enable_rerank: false } }, t.admin);
    expect(off.status).toBe(200);
    const docs = [
      'The glacier glacier glacier retreats each summer; glaciers carve valleys and the glacier museum explains glacier ice.',
      'Tariff policy: the tariff on steel, the tariff on grain and a tariff schedule revised every tariff year.',
      'A sonnet has fourteen lines; the sonnet form, sonnet rhyme and sonnet sequences are taught with every sonnet.',
      'The ministry published a report on roads, schools and hospitals in the northern provinces last spring.',
    ];
    for (const kb of A.kbIds) {
      for (const [i, text] of docs.entries()) await addTextAndWait(t.http, A.tenantId, kb, text, `d${i}.txt`, A.key);
    }
    answerId = await addTextAndWait(
      t.http,
      A.tenantId,
      A.kbIds[0],
      'Her only poem mixed a glacier, a tariff and a sonnet into one odd verse about trade in the north.',
      'answer.txt',
      A.key,
    );
    await addTextAndWait(t.http, A.tenantId, A.kbIds[1], 'Her only poem mixed a glacier, a tariff and a sonnet into one odd verse about trade in the north.', 'answer.txt', A.key);
  });
  afterAll(() => t?.close());

  it('is on by default: the chunk holding every query term comes first, scores scaled to [0, 1]', async () => {
    const r = await query(A.kbIds[0], { query: 'glacier tariff sonnet', mode: 'naive', only_need_context: true });
    expect(r.status).toBe(200);
    const chunks = r.body.data.context.chunks;
    expect(chunks[0].document_id).toBe(answerId);
    expect(chunks[0].score).toBe(1);
    for (const [i, c] of chunks.entries()) {
      expect(c.score).toBeGreaterThanOrEqual(0);
      expect(c.score).toBeLessThanOrEqual(1);
      if (i) expect(c.score).toBeLessThanOrEqual(chunks[i - 1].score);
    }
    expect(r.body.data.references[0]).toMatchObject({ document_id: answerId, score: 1 });
  });

  it('a query can turn it off; the scores are then fusion scores', async () => {
    const r = await query(A.kbIds[0], { query: 'glacier tariff sonnet', mode: 'naive', only_need_context: true, enable_rerank: false });
    expect(r.status).toBe(200);
    expect(r.body.data.context.chunks.length).toBeGreaterThan(0);
    for (const c of r.body.data.context.chunks) expect(c.score).toBeLessThanOrEqual(RRF_MAX);
  });

  it('a KB config can turn it off, and a query can turn it back on', async () => {
    const off = await query(A.kbIds[1], { query: 'glacier tariff sonnet', mode: 'mix', only_need_context: true });
    expect(off.status).toBe(200);
    for (const c of off.body.data.context.chunks) expect(c.score).toBeLessThanOrEqual(RRF_MAX_MIX);
    const on = await query(A.kbIds[1], { query: 'glacier tariff sonnet', mode: 'mix', only_need_context: true, enable_rerank: true });
    expect(on.body.data.context.chunks[0]).toMatchObject({ file_path: 'answer.txt', score: 1 });
  });

  it('rejects a non-boolean enable_rerank in a query and in a KB config', async () => {
    const q = await query(A.kbIds[0], { query: 'glacier', enable_rerank: 'yes' });
    expect(q.status).toBe(400);
    expect(q.body.error.code).toBe('VALIDATION_ERROR');
    const kb = await t.http.patch(kbPath(A.tenantId, A.kbIds[0]), { config: { enable_rerank: 1 } }, t.admin);
    expect(kb.status).toBe(400);
    expect(kb.body.error.code).toBe('VALIDATION_ERROR');
  });
});
