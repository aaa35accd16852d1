import { randomUUID } from 'node:crypto';
import type { Credentials } from '../support/http';
import { addTextAndWait, kbPath, waitForProcessed } from '../support/rag';
import { seedTenant, startTestApp, TestApp } from '../support/test-app';

const MODES = ['naive', 'local', 'global', 'hybrid', 'mix'] as const;

const MARIE = `Marie Curie was a physicist and chemist who worked in Paris. Marie Curie discovered polonium and radium with Pierre Curie.
She won the Nobel Prize in Physics in 1903 and the Nobel Prize in Chemistry in 1911. The University of Paris appointed Marie Curie as its first woman professor.`;
const VOLCANO = `Mount Etna is an active volcano on the island of Sicily in Italy. Etna erupts often and its lava flows reach the town of Catania.
Volcanologists of the Italian National Institute of Geophysics monitor Mount Etna every day.`;

describe('RAG engine over HTTP: ingestion, every query mode, deletion, isolation', () => {
  let t: TestApp;
  let A: { tenantId: string; kbIds: string[]; key: Credentials };
  let B: { tenantId: string; kbIds: string[]; key: Credentials };
  let marieId: string;
  let volcanoId: string;
  const secret = `zanzibarquokka${randomUUID().slice(0, 6)}`;
  const kb2Secret = `tangerinewombat${randomUUID().slice(0, 6)}`;

  const query = (tenant: { tenantId: string; key: Credentials }, kbId: string, body: Record<string, unknown>) =>
    t.http.post(`${kbPath(tenant.tenantId, kbId)}/query`, body, tenant.key);

  beforeAll(async () => {
    t = await startTestApp();
    A = await seedTenant(t, `Alpha ${randomUUID().slice(0, 6)}`, ['a-main', 'a-second']);
    B = await seedTenant(t, `Bravo ${randomUUID().slice(0, 6)}`, ['b-main']);
    marieId = await addTextAndWait(t.http, A.tenantId, A.kbIds[0], MARIE, 'curie.txt', A.key);
    volcanoId = await addTextAndWait(t.http, A.tenantId, A.kbIds[0], VOLCANO, 'etna.md', A.key);
    await addTextAndWait(
      t.http,
      B.tenantId,
      B.kbIds[0],
      `Bravo's confidential plan: the codename ${secret} protects Marie Curie's notebook and Mount Etna's sensors.`,
      'bravo.txt',
      B.key,
    );
    await addTextAndWait(t.http, A.tenantId, A.kbIds[1], `The second KB of Alpha keeps ${kb2Secret} about Marie Curie and Mount Etna.`, 'second.txt', A.key);
  });
  afterAll(() => t?.close());

  it('a processed document reports its chunks; the list filters by status and paginates', async () => {
    const doc = await t.http.get(`${kbPath(A.tenantId, A.kbIds[0])}/documents/${marieId}`, A.key);
    expect(doc.status).toBe(200);
    expect(doc.body.data).toMatchObject({ document_id: marieId, status: 'processed', file_path: 'curie.txt', error: null });
    expect(doc.body.data.chunks_count).toBeGreaterThanOrEqual(1);

    const processed = await t.http.get(`${kbPath(A.tenantId, A.kbIds[0])}/documents?status=processed&limit=1`, A.key);
    expect(processed.status).toBe(200);
    expect(processed.body.meta).toEqual({ total: 2, limit: 1, offset: 0 });
    expect(processed.body.data).toHaveLength(1);
    const failed = await t.http.get(`${kbPath(A.tenantId, A.kbIds[0])}/documents?status=failed`, A.key);
    expect(failed.body.meta.total).toBe(0);
    const bad = await t.http.get(`${kbPath(A.tenantId, A.kbIds[0])}/documents?status=done`, A.key);
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_ERROR');
  });

  it.each(MODES)('mode %s with only_need_context returns scored context and references to the right document', async (mode) => {
    const r = await query(A, A.kbIds[0], { query: 'Which prizes did Marie Curie win?', mode, only_need_context: true });
    expect(r.status).toBe(200);
    const data = r.body.data;
    expect(data.mode).toBe(mode);
    expect(Object.keys(data.context).sort()).toEqual(['chunks', 'entities', 'relations']);
    expect(data.context.chunks.length).toBeGreaterThan(0);
    expect(data.context.chunks[0]).toEqual({
      chunk_id: expect.any(String),
      document_id: marieId,
      file_path: 'curie.txt',
      content: expect.stringContaining('Curie'),
      score: expect.any(Number),
    });
    expect(data.references[0]).toEqual({ document_id: marieId, file_path: 'curie.txt', chunk_id: data.context.chunks[0].chunk_id, score: expect.any(Number) });
    if (mode === 'naive') {
      expect(data.context.entities).toEqual([]);
      expect(data.context.relations).toEqual([]);
    } else {
      const names = [
        ...data.context.entities.map((e: { name: string }) => e.name),
        ...data.context.relations.flatMap((x: { source: string; target: string }) => [x.source, x.target]),
      ];
      expect(names.join(' ')).toMatch(/Curie/);
      for (const e of data.context.entities) expect(e).toEqual({ name: expect.any(String), type: expect.any(String), description: expect.any(String), score: expect.any(Number) });
    }
  });

  it.each([...MODES, 'bypass'])('mode %s answers with response, references and usage', async (mode) => {
    const r = await query(A, A.kbIds[0], { query: 'Where is Mount Etna?', mode, response_type: 'Single Paragraph' });
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual({
      response: expect.any(String),
      mode,
      references: expect.any(Array),
      usage: expect.objectContaining({ input_tokens: expect.any(Number), output_tokens: expect.any(Number) }),
    });
    if (mode === 'bypass') expect(r.body.data.references).toEqual([]);
    else {
      expect(r.body.data.response.length).toBeGreaterThan(0);
      expect(r.body.data.references.map((x: { document_id: string }) => x.document_id)).toContain(volcanoId);
    }
  });

  it('the default mode is mix, and conversation_history is accepted', async () => {
    const r = await query(A, A.kbIds[0], {
      query: 'And the volcano?',
      conversation_history: [
        { role: 'user', content: 'Tell me about Sicily' },
        { role: 'assistant', content: 'Sicily is an island.' },
      ],
      only_need_context: true,
    });
    expect(r.status).toBe(200);
    expect(r.body.data.mode).toBe('mix');
  });

  it('streams NDJSON: mode and references first, response deltas, then done', async () => {
    const res = await fetch(`${t.url}${kbPath(A.tenantId, A.kbIds[0])}/query/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': A.key.key! },
      body: JSON.stringify({ query: 'What did Marie Curie discover?', mode: 'mix' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/x-ndjson/);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toEqual({ mode: 'mix', references: expect.any(Array) });
    expect(lines[0].references.map((x: { document_id: string }) => x.document_id)).toContain(marieId);
    expect(lines.at(-1)).toEqual({ done: true });
    const text = lines
      .filter((l) => typeof l.response === 'string')
      .map((l) => l.response)
      .join('');
    expect(text.length).toBeGreaterThan(0);
  });

  it('stream errors before the first line are JSON envelopes (400 on a bad mode)', async () => {
    const r = await t.http.post(`${kbPath(A.tenantId, A.kbIds[0])}/query/stream`, { query: 'x', mode: 'telepathy' }, A.key);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('VALIDATION_ERROR');
  });

  it('rejects bad query bodies with 400 and details', async () => {
    for (const body of [
      {},
      { query: '' },
      { query: 'x', mode: 'nope' },
      { query: 'x', top_k: 0 },
      { query: 'x', chunk_top_k: 'many' },
      { query: 'x', surprise: 1 },
      { query: 'x', conversation_history: [{ role: 'robot', content: 'hi' }] },
      { query: 'nul \u0000 inside' },
    ]) {
      const r = await query(A, A.kbIds[0], body);
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('VALIDATION_ERROR');
      expect(r.body.error.details.length).toBeGreaterThan(0);
    }
    // The message names what is wrong first: the type, not a range the value cannot even be compared with.
    const wrongType = await query(A, A.kbIds[0], { query: 'x', top_k: 'lots' });
    expect(wrongType.body.error.message).toBe('Invalid request: top_k — top_k must be an integer number.');
    expect(wrongType.body.error.details).toEqual([{ field: 'top_k', message: 'top_k must be an integer number' }]);
    const tooBig = await query(A, A.kbIds[0], { query: 'x', top_k: 500 });
    expect(tooBig.body.error.details).toEqual([{ field: 'top_k', message: 'top_k must not be greater than 200' }]);
  });

  it('a query on a KB that does not exist in the tenant is 404', async () => {
    const r = await query(A, randomUUID(), { query: 'anything', mode: 'naive' });
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('NOT_FOUND');
  });

  it('the same content twice in a KB is a 409 naming the existing document; another KB takes it', async () => {
    const again = await t.http.post(`${kbPath(A.tenantId, A.kbIds[0])}/documents/text`, { text: `  ${MARIE}\n` }, A.key);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('CONFLICT');
    expect(again.body.error.message).toContain(marieId);
    const batch = await t.http.post(`${kbPath(A.tenantId, A.kbIds[0])}/documents/texts`, { texts: ['fresh text one', 'fresh text one'] }, A.key);
    expect(batch.status).toBe(409);
    const list = await t.http.get(`${kbPath(A.tenantId, A.kbIds[0])}/documents`, A.key);
    expect(list.body.meta.total).toBe(2);
  });

  it('texts: adds several documents at once with their file sources; mismatched file_sources is 400', async () => {
    const bad = await t.http.post(`${kbPath(A.tenantId, A.kbIds[1])}/documents/texts`, { texts: ['one text', 'two text'], file_sources: ['only-one.txt'] }, A.key);
    expect(bad.status).toBe(400);
    const r = await t.http.post(
      `${kbPath(A.tenantId, A.kbIds[1])}/documents/texts`,
      { texts: ['Ada Lovelace wrote the first program.', 'Alan Turing described a universal machine.'], file_sources: ['ada.txt', 'turing.txt'] },
      A.key,
    );
    expect(r.status).toBe(202);
    expect(r.body.data).toEqual({ document_ids: [expect.any(String), expect.any(String)], status: 'pending', track_id: expect.any(String) });
    for (const id of r.body.data.document_ids) await waitForProcessed(t.http, A.tenantId, A.kbIds[1], id, A.key);
    const q = await query(A, A.kbIds[1], { query: 'Who described a universal machine?', mode: 'naive', only_need_context: true });
    expect(q.body.data.references[0].file_path).toBe('turing.txt');
  });

  it('graph routes: labels and a subgraph around a label', async () => {
    const labels = await t.http.get(`${kbPath(A.tenantId, A.kbIds[0])}/graph/labels?limit=200`, A.key);
    expect(labels.status).toBe(200);
    expect(labels.body.data).toEqual(expect.arrayContaining(['Marie Curie']));
    const g = await t.http.get(`${kbPath(A.tenantId, A.kbIds[0])}/graph?label=${encodeURIComponent('marie curie')}&max_depth=2&max_nodes=50`, A.key);
    expect(g.status).toBe(200);
    expect(g.body.data.nodes.map((n: { id: string }) => n.id)).toContain('Marie Curie');
    expect(g.body.data.edges.length).toBeGreaterThan(0);
    for (const e of g.body.data.edges) expect(g.body.data.nodes.map((n: { id: string }) => n.id)).toEqual(expect.arrayContaining([e.source, e.target]));
    const small = await t.http.get(`${kbPath(A.tenantId, A.kbIds[0])}/graph?label=*&max_nodes=1`, A.key);
    expect(small.body.data.nodes).toHaveLength(1);
    expect(small.body.data.is_truncated).toBe(true);
    const bad = await t.http.get(`${kbPath(A.tenantId, A.kbIds[0])}/graph?max_depth=99`, A.key);
    expect(bad.status).toBe(400);
  });

  it('isolation: no query of tenant A, in any mode, returns tenant B’s phrase; KB1 never returns KB2’s', async () => {
    for (const mode of [...MODES, 'bypass']) {
      for (const only_need_context of [true, false]) {
        for (const q of [secret, `What protects Marie Curie's notebook? ${secret}`, 'Mount Etna sensors codename']) {
          const r = await query(A, A.kbIds[0], { query: q, mode, only_need_context, top_k: 200, chunk_top_k: 200 });
          expect(r.status).toBe(200);
          expect(r.text).not.toContain(secret);
          expect(r.text).not.toContain(kb2Secret);
        }
      }
      const s = await t.http.request('POST', `${kbPath(A.tenantId, A.kbIds[0])}/query/stream`, { body: { query: secret, mode }, as: A.key });
      expect(s.text).not.toContain(secret);
    }
    const labels = await t.http.get(`${kbPath(A.tenantId, A.kbIds[0])}/graph/labels?limit=200`, A.key);
    expect(JSON.stringify(labels.body)).not.toContain(secret);
    // B itself finds it (the phrase is retrievable at all).
    const own = await query(B, B.kbIds[0], { query: secret, mode: 'naive', only_need_context: true });
    expect(own.text).toContain(secret);
  });

  it('deleting a document removes its chunks and the facts only it supported; queries never cite it again', async () => {
    const kb = A.kbIds[1];
    const keepId = await addTextAndWait(t.http, A.tenantId, kb, 'Grace Hopper worked with Howard Aiken at Harvard University on the Mark I computer.', 'hopper.txt', A.key);
    const goneId = await addTextAndWait(t.http, A.tenantId, kb, 'Grace Hopper visited Oslo. Katherine Johnson calculated orbits for NASA in Virginia.', 'johnson.txt', A.key);
    const before = (await t.http.get(`${kbPath(A.tenantId, kb)}/graph/labels?limit=200`, A.key)).body.data as string[];
    expect(before).toEqual(expect.arrayContaining(['Katherine Johnson', 'Grace Hopper']));

    const del = await t.http.delete(`${kbPath(A.tenantId, kb)}/documents/${goneId}`, A.key);
    expect(del.status).toBe(200);
    expect(del.body.data).toEqual({ document_id: goneId, deleted: true });
    expect((await t.http.get(`${kbPath(A.tenantId, kb)}/documents/${goneId}`, A.key)).status).toBe(404);
    expect((await t.http.delete(`${kbPath(A.tenantId, kb)}/documents/${goneId}`, A.key)).status).toBe(404);

    const after = (await t.http.get(`${kbPath(A.tenantId, kb)}/graph/labels?limit=200`, A.key)).body.data as string[];
    expect(after).not.toContain('Katherine Johnson'); // only the deleted document supported it
    expect(after).toContain('Grace Hopper'); // still supported by hopper.txt
    const g = await t.http.get(`${kbPath(A.tenantId, kb)}/graph?label=Grace%20Hopper&max_depth=1`, A.key);
    expect(JSON.stringify(g.body.data)).not.toMatch(/Oslo|NASA/);

    for (const mode of [...MODES]) {
      const r = await query(A, kb, { query: 'Katherine Johnson orbits NASA Virginia Oslo', mode, only_need_context: true, top_k: 200, chunk_top_k: 200 });
      expect(r.status).toBe(200);
      expect(r.body.data.references.map((x: { document_id: string }) => x.document_id)).not.toContain(goneId);
      expect(r.text).not.toContain('Katherine Johnson calculated');
    }
    const kept = await query(A, kb, { query: 'Mark I computer at Harvard', mode: 'naive', only_need_context: true });
    expect(kept.body.data.references[0].document_id).toBe(keepId);
  });

  it('text that quotes a model special token ("<|endoftext|>") is ordinary text: indexed, found, queried in every mode', async () => {
    const kb = A.kbIds[1];
    const text = 'The prompt engineer Ada Quillfeather wrote <|endoftext|> and <|im_start|> on the whiteboard in Reykjavik.';
    const id = await addTextAndWait(t.http, A.tenantId, kb, text, 'tokens.txt', A.key);
    expect(id).toBeTruthy();
    for (const mode of MODES) {
      const r = await query(A, kb, { query: 'What did Quillfeather write <|endoftext|>?', mode });
      expect(r.status).toBe(200);
      if (mode === 'naive' || mode === 'mix') expect(JSON.stringify(r.body.data.references)).toContain(id);
    }
  });

  it('document routes validate ids and bodies (400), and unknown ids are 404', async () => {
    const base = kbPath(A.tenantId, A.kbIds[0]);
    expect((await t.http.get(`${base}/documents/not-a-uuid`, A.key)).status).toBe(400);
    expect((await t.http.get(`${base}/documents/${randomUUID()}`, A.key)).status).toBe(404);
    expect((await t.http.post(`${base}/documents/text`, { text: '   ' }, A.key)).status).toBe(400);
    expect((await t.http.post(`${base}/documents/text`, { text: 42 }, A.key)).status).toBe(400);
    expect((await t.http.post(`${base}/documents/texts`, { texts: [] }, A.key)).status).toBe(400);
    expect((await t.http.post(`${base}/documents/text`, { text: 'nul \u0000 inside' }, A.key)).status).toBe(400);
    expect((await t.http.post(`${base}/documents/texts`, { texts: ['ok'], file_sources: ['a\u0000.txt'] }, A.key)).status).toBe(400);
    expect((await t.http.get(`${base}/graph?label=a%00b`, A.key)).status).toBe(400);
    const notMultipart = await t.http.post(`${base}/documents/add`, { file: 'x' }, A.key);
    expect(notMultipart.status).toBe(400);
    expect((await t.http.post(`${kbPath(A.tenantId, randomUUID())}/documents/text`, { text: 'orphan' }, A.key)).status).toBe(404);
  });
});
