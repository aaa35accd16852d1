import type { ApiResponse } from '../support/http';
import { FakeOpenAiServer } from '../support/fake-openai-server';
import { lr, LightragFixture, seedLightragFixture } from '../support/lightrag';
import { addTextAndWait, kbPath } from '../support/rag';
import { seedTenant, startTestApp, TestApp } from '../support/test-app';

/** ADR 007 compatibility cases 11-18, 23, 26, 34-36 and hostile input: POST /lightrag/query, /query/stream, /query/data. */

const T1 =
  'The Zephyr turbine warranty covers blade cracks and gearbox failures for five years after installation. ' +
  'Warranty claims for the Zephyr turbine must be filed with the service desk within thirty days of the failure.';
const Q1 = 'What does the Zephyr turbine warranty cover?';
const T3 = 'The Zephyr turbine maintenance schedule asks for a gearbox inspection every six months and blade cleaning every year.';
const T2 = 'The Quokka reactor coolant pump must be replaced every eleven years according to the Quokka safety manual.';
const Q2 = 'When must the Quokka reactor coolant pump be replaced?';

/** The NDJSON lines of a stream response, each parsed. */
function ndjson(r: ApiResponse): Array<Record<string, unknown>> {
  return r.text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** LightRAG's reference order over /query/data's chunks: file with most chunks first, then first appearance; "1".."n". */
function expectedReferences(chunks: Array<{ file_path: string }>): Array<{ reference_id: string; file_path: string }> {
  const seen = new Map<string, { n: number; first: number }>();
  chunks.forEach((c, i) => {
    if (!c.file_path) return;
    const s = seen.get(c.file_path);
    if (s) s.n++;
    else seen.set(c.file_path, { n: 1, first: i });
  });
  return [...seen.entries()].sort((a, b) => b[1].n - a[1].n || a[1].first - b[1].first).map(([file_path], i) => ({ reference_id: String(i + 1), file_path }));
}

async function answerCalls(t: TestApp, tenantId: string, as: { key?: string }): Promise<number> {
  const r = await t.http.get(`/api/v1/tenants/${tenantId}/usage`, as);
  return (r.body.data.by_model as Array<{ model: string; calls: number }>).filter((m) => m.model === 'local-extractive').reduce((n, m) => n + m.calls, 0);
}

describe('LightRAG compat: query routes', () => {
  let t: TestApp;
  let f: LightragFixture;

  beforeAll(async () => {
    t = await startTestApp();
    f = await seedLightragFixture(t);
    await addTextAndWait(t.http, f.A.tenantId, f.A.manualsId, T1, 'a.txt', f.kAll);
    await addTextAndWait(t.http, f.A.tenantId, f.A.manualsId, T3, 'c.txt', f.kAll);
    await addTextAndWait(t.http, f.A.tenantId, f.A.defaultId, T2, 'b.txt', f.kAll);
  });
  afterAll(() => t.close());

  it('#11 POST /query with kM: a non-empty answer and LightRAG references "1".."n" with unique file paths including a.txt, no content key', async () => {
    const r = await lr(t, 'POST', '/query', { as: f.kM, body: { query: Q1, mode: 'mix' } });
    expect(r.status).toBe(200);
    expect(r.body).not.toHaveProperty('data');
    expect(r.body).not.toHaveProperty('status');
    expect(typeof r.body.response).toBe('string');
    expect(r.body.response.length).toBeGreaterThan(0);
    expect(r.body.response).toMatch(/blade cracks/);
    expect(typeof r.body.response_time).toBe('number');
    expect(r.body.llm_generated).toBe(true);
    const refs = r.body.references as Array<Record<string, unknown>>;
    expect(refs.map((x) => x.reference_id)).toEqual(refs.map((_, i) => String(i + 1)));
    expect(new Set(refs.map((x) => x.file_path)).size).toBe(refs.length);
    expect(refs.map((x) => x.file_path)).toContain('a.txt');
    for (const ref of refs) expect(Object.keys(ref).sort()).toEqual(['file_path', 'reference_id']);
    expect(r.headers.get('x-strata-kb-id')).toBe(f.A.manualsId);
    expect(r.headers.get('vary')).toMatch(/LIGHTRAG-WORKSPACE/);
  });

  it('#12 include_references:false → "references": null; include_chunk_content:true → each reference lists its chunk texts', async () => {
    const none = await lr(t, 'POST', '/query', { as: f.kM, body: { query: Q1, include_references: false } });
    expect(none.status).toBe(200);
    expect(none.body).toHaveProperty('references', null);
    const withContent = await lr(t, 'POST', '/query', { as: f.kM, body: { query: Q1, include_chunk_content: true } });
    expect(withContent.status).toBe(200);
    const refs = withContent.body.references as Array<{ reference_id: string; file_path: string; content: string[] }>;
    const a = refs.find((x) => x.file_path === 'a.txt')!;
    expect(a.content.every((c) => typeof c === 'string')).toBe(true);
    expect(a.content.join(' ')).toContain('blade cracks and gearbox failures');
    // LightRAG's order: the file with most chunks first.
    for (let i = 1; i < refs.length; i++) expect(refs[i - 1].content.length).toBeGreaterThanOrEqual(refs[i].content.length);
  });

  it('#13 the exact WebUI payload (deprecated and unknown fields) is answered 200', async () => {
    const body = {
      query: Q1,
      mode: 'mix',
      history_turns: 0,
      user_prompt: '',
      only_need_context: false,
      only_need_prompt: false,
      top_k: 40,
      chunk_top_k: 20,
      max_entity_tokens: 6000,
      max_relation_tokens: 8000,
      max_total_tokens: 30000,
      enable_rerank: true,
      stream: false,
      response_type: 'Multiple Paragraphs',
      conversation_history: [],
      ids: null,
      hl_keywords: [],
      ll_keywords: [],
      include_progress: false,
      disable_user_prompt_prefix: true,
      some_unknown_field: 1,
    };
    const r = await lr(t, 'POST', '/query', { as: f.kM, body });
    expect(r.status).toBe(200);
    expect(r.body.response).toMatch(/blade cracks/);
    expect(r.body.references.map((x: { file_path: string }) => x.file_path)).toContain('a.txt');
  });

  it('#14 a 2-char query, mode "fast", top_k 0 → 422 with detail[0].loc ending in the field', async () => {
    for (const [body, field] of [
      [{ query: 'hi' }, 'query'],
      [{ query: Q1, mode: 'fast' }, 'mode'],
      [{ query: Q1, top_k: 0 }, 'top_k'],
      [{ query: Q1, chunk_top_k: 0 }, 'chunk_top_k'],
      [{ query: '     ' }, 'query'],
      [{ query: Q1, conversation_history: [{ role: '', content: 'x' }] }, 'role'],
      [{ query: Q1, conversation_history: [{ content: 'no role' }] }, 'role'],
      [{ query: Q1, response_type: '' }, 'response_type'],
    ] as const) {
      const r = await lr(t, 'POST', '/query', { as: f.kM, body });
      expect([r.status, field]).toEqual([422, field]);
      expect(Array.isArray(r.body.detail)).toBe(true);
      const loc = r.body.detail[0].loc as unknown[];
      expect(loc[0]).toBe('body');
      expect(loc[loc.length - 1]).toBe(field);
      expect(typeof r.body.detail[0].msg).toBe('string');
    }
  });

  it('top_k and chunk_top_k above Strata’s maximum are clamped to 200, not refused; null fields take the defaults', async () => {
    const r = await lr(t, 'POST', '/query/data', { as: f.kM, body: { query: Q1, top_k: 100000, chunk_top_k: 5000 } });
    expect(r.status).toBe(200);
    expect(r.body.data.chunks.length).toBeGreaterThan(0);
    expect(r.body.data.chunks.length).toBeLessThanOrEqual(200);
    // null is "not given", as for pydantic's Optional fields.
    const nulls = await lr(t, 'POST', '/query/data', {
      as: f.kM,
      body: { query: Q1, top_k: null, chunk_top_k: null, mode: null, response_type: null, conversation_history: null },
    });
    expect(nulls.status).toBe(200);
    expect(nulls.body.metadata.query_mode).toBe('mix');
    expect(nulls.body.data.chunks.length).toBeGreaterThan(0);
  });

  it('#15 /query/stream: NDJSON, a references line first, then non-empty response lines; no done, mode or object error', async () => {
    const r = await lr(t, 'POST', '/query/stream', { as: f.kM, body: { query: Q1, stream: true } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    expect(r.headers.get('cache-control')).toBe('no-cache');
    expect(r.headers.get('x-accel-buffering')).toBe('no');
    expect(r.headers.get('vary')).toMatch(/LIGHTRAG-WORKSPACE/);
    expect(r.headers.get('x-strata-kb-id')).toBe(f.A.manualsId);
    const lines = ndjson(r);
    expect(lines.length).toBeGreaterThan(1);
    expect(Object.keys(lines[0])).toEqual(['references']);
    expect((lines[0].references as Array<{ file_path: string }>).map((x) => x.file_path)).toContain('a.txt');
    for (const line of lines.slice(1)) {
      expect(Object.keys(line)).toEqual(['response']);
      expect(typeof line.response).toBe('string');
      expect((line.response as string).length).toBeGreaterThan(0);
    }
    expect(lines.some((l) => 'done' in l || 'mode' in l || typeof l.error === 'object')).toBe(false);
    expect(
      lines
        .slice(1)
        .map((l) => l.response)
        .join(''),
    ).toMatch(/blade cracks/);
  });

  it('#16 /query/stream with include_references:false starts with a response line; stream:false is exactly one {response, references} line', async () => {
    const noRefs = ndjson(await lr(t, 'POST', '/query/stream', { as: f.kM, body: { query: Q1, include_references: false } }));
    expect(Object.keys(noRefs[0])).toEqual(['response']);
    const once = await lr(t, 'POST', '/query/stream', { as: f.kM, body: { query: Q1, stream: false } });
    expect(once.status).toBe(200);
    const lines = ndjson(once);
    expect(lines).toHaveLength(1);
    expect(Object.keys(lines[0]).sort()).toEqual(['references', 'response']);
    expect(lines[0].response).toMatch(/blade cracks/);
  });

  it('/query/stream: errors before the stream starts are {"detail"} JSON', async () => {
    const bad = await lr(t, 'POST', '/query/stream', { as: f.kM, body: { query: 'x' } });
    expect(bad.status).toBe(422);
    expect(bad.headers.get('content-type')).toMatch(/^application\/json/);
    expect(bad.body.detail[0].loc).toEqual(['body', 'query']);
    const foreign = await lr(t, 'POST', '/query/stream', { as: f.kM, ws: 'default', body: { query: Q1 } });
    expect(foreign.status).toBe(403);
    expect(typeof foreign.body.detail).toBe('string');
  });

  it('#17 /query/data: LightRAG field names, the references derived from the chunks in LightRAG order; invalid → 400 failure', async () => {
    const r = await lr(t, 'POST', '/query/data', { as: f.kM, body: { query: Q1, mode: 'mix' } });
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('success');
    expect(typeof r.body.message).toBe('string');
    const d = r.body.data;
    expect(d.entities.length).toBeGreaterThan(0);
    for (const e of d.entities) expect(Object.keys(e).sort()).toEqual(['description', 'entity_name', 'entity_type', 'file_path', 'reference_id', 'source_id']);
    for (const rel of d.relationships) {
      expect(Object.keys(rel).sort()).toEqual(['description', 'file_path', 'keywords', 'reference_id', 'source_id', 'src_id', 'tgt_id', 'weight']);
      expect(typeof rel.weight).toBe('number');
    }
    expect(d.chunks.length).toBeGreaterThan(0);
    for (const c of d.chunks) expect(Object.keys(c).sort()).toEqual(['chunk_id', 'content', 'file_path', 'reference_id']);
    expect(d.chunks.map((c: { content: string }) => c.content).join(' ')).toContain('blade cracks');
    expect(d.references).toEqual(expectedReferences(d.chunks));
    const idOf = new Map(d.references.map((x: { file_path: string; reference_id: string }) => [x.file_path, x.reference_id]));
    for (const c of d.chunks) expect(c.reference_id).toBe(idOf.get(c.file_path));
    // Facts name their supporting chunks and files ("<SEP>"-joined, as LightRAG) and the reference of the first cited file.
    const chunkIds = new Set(d.chunks.map((c: { chunk_id: string }) => c.chunk_id));
    for (const fact of [...d.entities, ...d.relationships]) {
      expect(fact.source_id.length).toBeGreaterThan(0);
      const paths = (fact.file_path as string).split('<SEP>');
      for (const p of paths) expect(['a.txt', 'c.txt']).toContain(p);
      expect(fact.reference_id).toBe(paths.map((p) => idOf.get(p)).find((id) => id !== undefined) ?? '');
    }
    const blade = d.entities.find((e: { entity_name: string; file_path: string }) => /zephyr/i.test(e.entity_name));
    expect(blade.file_path).toContain('a.txt');
    expect(blade.source_id.split('<SEP>').some((id: string) => chunkIds.has(id))).toBe(true);
    expect(r.body.metadata.query_mode).toBe('mix');
    expect(Array.isArray(r.body.metadata.keywords.high_level)).toBe(true);
    expect(Array.isArray(r.body.metadata.keywords.low_level)).toBe(true);
    const info = r.body.metadata.processing_info;
    expect(info).toEqual({
      total_entities_found: expect.any(Number),
      total_relations_found: expect.any(Number),
      entities_after_truncation: d.entities.length,
      relations_after_truncation: d.relationships.length,
      final_chunks_count: d.chunks.length,
    });
    expect(info.total_entities_found).toBeGreaterThanOrEqual(d.entities.length);

    const bad = await lr(t, 'POST', '/query/data', { as: f.kM, body: { query: 'x' } });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ status: 'failure', message: expect.stringMatching(/^Validation error/), data: {}, metadata: {} });
    expect(bad.body.message).toMatch(/query/);
    // Errors other than validation stay {"detail"} on this route too.
    const foreign = await lr(t, 'POST', '/query/data', { as: f.kM, ws: 'default', body: { query: Q1 } });
    expect(foreign.status).toBe(403);
    expect(typeof foreign.body.detail).toBe('string');
  });

  it('#18 only_need_context: the context as LightRAG kg_query_context text holding T1, with no answer call', async () => {
    const before = await answerCalls(t, f.A.tenantId, f.kAll);
    const r = await lr(t, 'POST', '/query', { as: f.kM, body: { query: Q1, only_need_context: true } });
    expect(r.status).toBe(200);
    expect(typeof r.body.response).toBe('string');
    expect(r.body.llm_generated).toBe(false);
    for (const section of ['Knowledge Graph Data (Entity)', 'Knowledge Graph Data (Relationship)', 'Document Chunks', 'Reference Document List']) {
      expect(r.body.response).toContain(section);
    }
    expect(r.body.response).toContain('blade cracks and gearbox failures');
    expect(r.body.response).toMatch(/\[1\] (a|c)\.txt/);
    expect(r.body.references.map((x: { file_path: string }) => x.file_path)).toContain('a.txt');
    const streamed = ndjson(await lr(t, 'POST', '/query/stream', { as: f.kM, body: { query: Q1, only_need_context: true } }));
    expect(streamed).toHaveLength(1);
    expect(streamed[0].response).toContain('blade cracks and gearbox failures');
    expect(await answerCalls(t, f.A.tenantId, f.kAll)).toBe(before);
  });

  it('only_need_prompt: the answer prompt (with the user_prompt and the query), with no answer call', async () => {
    const before = await answerCalls(t, f.A.tenantId, f.kAll);
    const r = await lr(t, 'POST', '/query', { as: f.kM, body: { query: Q1, only_need_prompt: true, user_prompt: 'Answer in exactly two sentences.' } });
    expect(r.status).toBe(200);
    expect(r.body.llm_generated).toBe(false);
    expect(r.body.response).toContain('---Role---');
    expect(r.body.response).toContain('Answer in exactly two sentences.');
    expect(r.body.response).toContain('blade cracks and gearbox failures');
    expect(r.body.response).toMatch(/---User Query---\n\nWhat does the Zephyr turbine warranty cover\?$/);
    expect(await answerCalls(t, f.A.tenantId, f.kAll)).toBe(before);
  });

  it('retrieval that finds nothing gives LightRAG’s no-context answer without an answer call', async () => {
    const empty = await seedTenant(t, 'Empty LR', ['default']);
    const before = await answerCalls(t, empty.tenantId, empty.key);
    const r = await lr(t, 'POST', '/query', { as: empty.key, body: { query: Q1 } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ response: "Sorry, I'm not able to provide an answer to that question.[no-context]", references: [], llm_generated: false });
    expect(await answerCalls(t, empty.tenantId, empty.key)).toBe(before);
  });

  it('#23 isolation: a query with kM never cites KB default’s file; kB naming acme__Manuals → 403', async () => {
    for (const path of ['/query', '/query/data']) {
      const r = await lr(t, 'POST', path, { as: f.kM, body: { query: Q2, mode: 'mix' } });
      expect(r.status).toBe(200);
      const refs = path === '/query' ? r.body.references : r.body.data.references;
      expect(refs.map((x: { file_path: string }) => x.file_path)).not.toContain('b.txt');
      expect(JSON.stringify(r.body)).not.toContain('Quokka reactor coolant pump must');
    }
    // The same query on KB default (kAll + header) does find T2: the isolation above is not an empty KB.
    const own = await lr(t, 'POST', '/query', { as: f.kAll, ws: 'default', body: { query: Q2 } });
    expect(own.body.references.map((x: { file_path: string }) => x.file_path)).toContain('b.txt');
    const foreign = await lr(t, 'POST', '/query', { as: f.kB, ws: `${f.A.slug}__Manuals`, body: { query: Q1 } });
    expect(foreign.status).toBe(403);
    expect(typeof foreign.body.detail).toBe('string');
    expect(JSON.stringify(foreign.body)).not.toContain('Zephyr');
  });

  it('non-strict: kAll without a selector queries KB default; the path-scoped form names Manuals', async () => {
    const r = await lr(t, 'POST', '/query', { as: f.kAll, body: { query: Q2 } });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-strata-kb-id')).toBe(f.A.defaultId);
    expect(r.body.references.map((x: { file_path: string }) => x.file_path)).toEqual(['b.txt']);
    const scoped = await lr(t, 'POST', `/w/${f.A.slug}__Manuals/query`, { as: f.kAll, body: { query: Q1 } });
    expect(scoped.status).toBe(200);
    expect(scoped.headers.get('x-strata-kb-id')).toBe(f.A.manualsId);
  });

  it('#35 a query with kM is audited as query.run with the Manuals kb_id and actor api_key:<kM id>', async () => {
    const r = await lr(t, 'POST', '/query', { as: f.kM, body: { query: 'Who files warranty claims?' } });
    expect(r.status).toBe(200);
    const logs = await t.http.get(`/api/v1/tenants/${f.A.tenantId}/audit-logs?action=query.run&limit=200`, f.kAll);
    expect(logs.status).toBe(200);
    const mine = (logs.body.data as Array<Record<string, unknown>>).filter((e) => e.request_id === r.headers.get('x-request-id'));
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ action: 'query.run', kb_id: f.A.manualsId, actor: `api_key:${f.kM.keyId}`, outcome: 'success' });
  });

  it('#34 the query rate limit is shared with the native route: compat 429 {"detail"} + Retry-After, and the native route is limited too', async () => {
    const g = await seedLightragFixture(t, '-rl');
    expect((await t.http.patch(`/api/v1/tenants/${g.A.tenantId}`, { limits: { queries_per_minute: 2 } }, t.admin)).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await lr(t, 'POST', '/query', { as: g.kM, body: { query: Q1, only_need_context: true } })).status).toBe(200);
    const refused = await lr(t, 'POST', '/query', { as: g.kM, body: { query: Q1 } });
    expect(refused.status).toBe(429);
    expect(typeof refused.body.detail).toBe('string');
    expect(refused.body).not.toHaveProperty('error');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    for (const path of ['/query/stream', '/query/data']) expect((await lr(t, 'POST', path, { as: g.kM, body: { query: Q1 } })).status).toBe(429);
    const native = await t.http.post(`${kbPath(g.A.tenantId, g.A.manualsId)}/query`, { query: Q1, only_need_context: true }, g.kAll);
    expect(native.status).toBe(429);
    expect(native.body.error.code).toBe('RATE_LIMITED');
  });

  it('#34 the monthly model budget is shared too: once spent, compat and native queries are 429 with Retry-After', async () => {
    const g = await seedLightragFixture(t, '-mb');
    await addTextAndWait(t.http, g.A.tenantId, g.A.manualsId, T1, 'a.txt', g.kAll);
    // A limit just above what ingestion spent: the first compat query is served and uses up the rest.
    const limit = async (n: number) => expect((await t.http.patch(`/api/v1/tenants/${g.A.tenantId}`, { limits: { monthly_token_limit: n } }, t.admin)).status).toBe(200);
    await limit(1_000_000_000);
    const spent = (await t.http.get(`/api/v1/tenants/${g.A.tenantId}/usage`, g.kAll)).body.data.limits.month_tokens as number;
    await limit(spent + 1);
    const first = await lr(t, 'POST', '/query', { as: g.kM, body: { query: Q1, mode: 'naive' } });
    expect(first.status).toBe(200);
    for (const path of ['/query', '/query/stream', '/query/data']) {
      const r = await lr(t, 'POST', path, { as: g.kM, body: { query: Q1 } });
      expect([path, r.status]).toEqual([path, 429]);
      expect(typeof r.body.detail).toBe('string');
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect((await t.http.post(`${kbPath(g.A.tenantId, g.A.manualsId)}/query`, { query: Q1 }, g.kAll)).status).toBe(429);
  });

  it('#36 a suspended tenant’s key gets 403 {"detail"} on every query route', async () => {
    const g = await seedLightragFixture(t, '-sus');
    expect((await lr(t, 'POST', '/query', { as: g.kM, body: { query: Q1 } })).status).toBe(200);
    expect((await t.http.patch(`/api/v1/tenants/${g.A.tenantId}`, { is_active: false }, t.admin)).status).toBe(200);
    for (const path of ['/query', '/query/stream', '/query/data']) {
      const r = await lr(t, 'POST', path, { as: g.kM, body: { query: Q1 } });
      expect([path, r.status]).toEqual([path, 403]);
      expect(typeof r.body.detail).toBe('string');
      expect(r.body.detail).toMatch(/suspended/i);
    }
  });

  describe('hostile input: 4xx with a clear detail, never a 500, in bounded time', () => {
    it('a 10 000-character query is answered; 10 001 characters → 422', async () => {
      const long = `${Q1} ${'turbine blade gearbox '.repeat(600)}`.slice(0, 10_000);
      const started = Date.now();
      const ok = await lr(t, 'POST', '/query', { as: f.kM, body: { query: long } });
      expect(ok.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(10_000);
      const tooLong = await lr(t, 'POST', '/query', { as: f.kM, body: { query: `${long}x` } });
      expect(tooLong.status).toBe(422);
      expect(tooLong.body.detail[0].loc).toEqual(['body', 'query']);
      expect(JSON.stringify(tooLong.body).length).toBeLessThan(2000);
    });

    it('NUL bytes in query, user_prompt or history → 422 on the field', async () => {
      for (const [body, loc] of [
        [{ query: `${Q1}\u0000` }, ['body', 'query']],
        [{ query: Q1, user_prompt: 'a\u0000b' }, ['body', 'user_prompt']],
        [{ query: Q1, conversation_history: [{ role: 'user', content: 'a\u0000b' }] }, ['body', 'conversation_history', 0, 'content']],
      ] as const) {
        const r = await lr(t, 'POST', '/query', { as: f.kM, body });
        expect(r.status).toBe(422);
        expect(r.body.detail[0].loc).toEqual(loc);
      }
    });

    it('wrong types → 422 naming the field (400 failure on /query/data)', async () => {
      for (const [body, field] of [
        [{ query: 12345 }, 'query'],
        [{ query: [Q1] }, 'query'],
        [{ query: Q1, mode: ['mix'] }, 'mode'],
        [{ query: Q1, top_k: 'five' }, 'top_k'],
        [{ query: Q1, top_k: 2.5 }, 'top_k'],
        [{ query: Q1, include_references: 'yes' }, 'include_references'],
        [{ query: Q1, stream: 1 }, 'stream'],
        [{ query: Q1, conversation_history: 'hello' }, 'conversation_history'],
        [{ query: Q1, conversation_history: [{ role: 7, content: 'x' }] }, 'role'],
        [{ query: Q1, user_prompt: { text: 'x' } }, 'user_prompt'],
        [{}, 'query'],
      ] as const) {
        const r = await lr(t, 'POST', '/query', { as: f.kM, body });
        expect([field, r.status]).toEqual([field, 422]);
        const loc = r.body.detail[0].loc as unknown[];
        expect(loc[loc.length - 1]).toBe(field);
        const data = await lr(t, 'POST', '/query/data', { as: f.kM, body });
        expect([field, data.status]).toEqual([field, 400]);
        expect(data.body.status).toBe('failure');
      }
      for (const raw of ['[1,2,3]', '"just a string"', 'null', '{"query": ']) {
        const r = await lr(t, 'POST', '/query', { as: f.kM, raw, headers: { 'content-type': 'application/json' } });
        expect([raw, r.status]).toEqual([raw, 422]);
        expect(Array.isArray(r.body.detail)).toBe(true);
      }
    });

    it('deep or long conversation_history → 422, never a 500', async () => {
      const json = { 'content-type': 'application/json' };
      const body = (history: string) => `{"query": ${JSON.stringify(Q1)}, "conversation_history": ${history}}`;
      // Deeper than the server's JSON nesting bound (64): refused while parsing, as LightRAG's json_invalid 422.
      const depth = 20_000;
      for (const raw of [
        body(`[{"role": "user", "content": ${'['.repeat(depth)}"x"${']'.repeat(depth)}}]`),
        body(`[{"role": "user", "content": "x", "extra": ${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}]`),
      ]) {
        const r = await lr(t, 'POST', '/query', { as: f.kM, raw, headers: json });
        expect(r.status).toBe(422);
        expect(r.body.detail[0]).toMatchObject({ type: 'json_invalid', ctx: { error: expect.stringMatching(/nested too deeply/) } });
      }
      // Within the bound: a nested content is not a string (422 on content); nested unknown keys are ignored.
      const nested = await lr(t, 'POST', '/query', { as: f.kM, raw: body(`[{"role": "user", "content": ${'['.repeat(55)}"x"${']'.repeat(55)}}]`), headers: json });
      expect(nested.status).toBe(422);
      expect(nested.body.detail[0].loc).toEqual(['body', 'conversation_history', 0, 'content']);
      const extra = await lr(t, 'POST', '/query', { as: f.kM, raw: body(`[{"role": "user", "content": "x", "extra": ${'{"a":'.repeat(55)}1${'}'.repeat(55)}}]`), headers: json });
      expect(extra.status).toBe(200);
      const many = await lr(t, 'POST', '/query', { as: f.kM, body: { query: Q1, conversation_history: Array.from({ length: 51 }, () => ({ role: 'user', content: 'x' })) } });
      expect(many.status).toBe(422);
      expect(many.body.detail[0].loc).toEqual(['body', 'conversation_history']);
      const fine = await lr(t, 'POST', '/query', {
        as: f.kM,
        body: {
          query: Q1,
          conversation_history: [
            { role: 'user', content: 'Hello' },
            { role: 'tool', content: 'ignored role' },
            { role: 'assistant', content: 'Hi' },
          ],
        },
      });
      expect(fine.status).toBe(200);
      expect(fine.body.response).toMatch(/blade cracks/);
    });
  });
});

describe('LightRAG compat: strict workspace mode on the query routes', () => {
  const envs: Array<Record<string, string>> = [{ LIGHTRAG_COMPAT_STRICT: 'true' }, { LIGHTRAG_ALLOW_DEFAULT_WORKSPACE: 'false' }];
  for (const env of envs) {
    it(`#26 ${Object.keys(env)[0]}=${Object.values(env)[0]}: (a) kAll without a selector → 400 Missing LIGHTRAG-WORKSPACE; (b) kM without one → 200 from Manuals`, async () => {
      const t = await startTestApp({ env });
      try {
        const f = await seedLightragFixture(t);
        await addTextAndWait(t.http, f.A.tenantId, f.A.manualsId, T1, 'a.txt', f.kAll);
        for (const path of ['/query', '/query/stream', '/query/data']) {
          const a = await lr(t, 'POST', path, { as: f.kAll, body: { query: Q1 } });
          expect([path, a.status]).toEqual([path, 400]);
          expect(a.body).toEqual({ detail: 'Missing LIGHTRAG-WORKSPACE header. Workspace identification is required.' });
        }
        const b = await lr(t, 'POST', '/query', { as: f.kM, body: { query: Q1 } });
        expect(b.status).toBe(200);
        expect(b.headers.get('x-strata-kb-id')).toBe(f.A.manualsId);
        expect(b.body.references.map((x: { file_path: string }) => x.file_path)).toContain('a.txt');
        const named = await lr(t, 'POST', '/query', { as: f.kAll, ws: 'Manuals', body: { query: Q1 } });
        expect(named.status).toBe(200);
        expect(named.headers.get('x-strata-kb-id')).toBe(f.A.manualsId);
        const pathScoped = await lr(t, 'POST', `/w/${f.A.slug}__Manuals/query/data`, { as: f.kAll, body: { query: Q1 } });
        expect(pathScoped.status).toBe(200);
        expect(pathScoped.body.data.references.map((x: { file_path: string }) => x.file_path)).toContain('a.txt');
      } finally {
        await t.close();
      }
    });
  }
});

describe('LightRAG compat: query routes with an OpenAI-compatible model', () => {
  let fake: FakeOpenAiServer;
  let t: TestApp;
  let f: LightragFixture;

  beforeAll(async () => {
    fake = await new FakeOpenAiServer().start();
    t = await startTestApp({
      env: { LLM_BINDING: 'openai', LLM_MODEL: 'gpt-4o-mini', LLM_BINDING_HOST: fake.url, LLM_BINDING_API_KEY: 'sk-server-key', ENCRYPTION_KEY: 'cd'.repeat(32) },
    });
    f = await seedLightragFixture(t);
    await addTextAndWait(t.http, f.A.tenantId, f.A.manualsId, 'Acme is a company founded in Paris in 1901.', 'acme.txt', f.kAll);
  });
  afterAll(async () => {
    await t.close();
    await fake.stop();
  });

  const answerRequests = () => fake.requests.filter((r) => r.path.endsWith('/chat/completions') && !JSON.stringify(r.body).includes('high_level_keywords'));

  it('user_prompt and conversation_history reach the answer prompt', async () => {
    fake.reset();
    const r = await lr(t, 'POST', '/query', {
      as: f.kM,
      body: { query: 'Where was Acme founded?', mode: 'naive', user_prompt: 'Reply like a pirate.', conversation_history: [{ role: 'user', content: 'Earlier question' }] },
    });
    expect(r.status).toBe(200);
    expect(r.body.response).toContain('Fake answer to: Where was Acme founded?');
    expect(r.body.llm_generated).toBe(true);
    const sent = answerRequests();
    expect(sent).toHaveLength(1);
    const messages = sent[0].body.messages as Array<{ role: string; content: string }>;
    expect(messages[0].role).toBe('system');
    expect(messages[0].content).toContain('Reply like a pirate.');
    expect(messages[0].content).toContain('Acme is a company founded in Paris');
    expect(messages.slice(1)).toEqual([
      { role: 'user', content: 'Earlier question' },
      { role: 'user', content: 'Where was Acme founded?' },
    ]);
  });

  it('a model failure after the references line ends the stream with {"error": "<string>"}', async () => {
    fake.reset();
    // naive mode with the local embedding: the answer is the only call to the model server, and it is refused.
    fake.fail({ kind: 'status', status: 400, body: 'the model refused' });
    const r = await lr(t, 'POST', '/query/stream', { as: f.kM, body: { query: 'Where was Acme founded, once more?', mode: 'naive' } });
    expect(r.status).toBe(200);
    const lines = ndjson(r);
    expect(Object.keys(lines[0])).toEqual(['references']);
    const last = lines[lines.length - 1];
    expect(Object.keys(last)).toEqual(['error']);
    expect(typeof last.error).toBe('string');
    expect((last.error as string).length).toBeGreaterThan(0);
    expect(lines.some((l) => 'done' in l)).toBe(false);
  });
});
