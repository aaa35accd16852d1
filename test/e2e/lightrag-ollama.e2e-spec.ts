import type { ApiResponse } from '../support/http';
import { FakeOpenAiServer } from '../support/fake-openai-server';
import { lr, LightragFixture, seedLightragFixture } from '../support/lightrag';
import { addTextAndWait } from '../support/rag';
import { seedTenant, startTestApp, TestApp } from '../support/test-app';

const T1 = 'The Zephyr 3000 coffee machine descales automatically every 200 cups. Its warranty covers the boiler for five years.';
const Q1 = 'How often does the Zephyr 3000 descale?';
// The canary has letters: a bare number could turn up in a response's duration counters by chance (it did: eval_duration 177413).
const CANARY = 'NG7741QX';
const TB = `Project Nightingale launch code is ${CANARY}, kept in the Globex vault. Only the Nightingale board may read it.`;
const QB = 'What is the Project Nightingale launch code?';

const FINAL_COUNTERS = ['total_duration', 'load_duration', 'prompt_eval_count', 'prompt_eval_duration', 'eval_count', 'eval_duration'];

/** The NDJSON lines of a response, each parsed. */
function frames(r: ApiResponse): any[] {
  return r.text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
}

function expectOllamaError(r: ApiResponse, status: number): void {
  expect(r.status).toBe(status);
  expect(typeof r.body.error).toBe('string');
  expect(typeof r.body.detail === 'string' || Array.isArray(r.body.detail)).toBe(true);
  expect(r.body).not.toHaveProperty('status');
  expect(r.text).not.toMatch(/\bat .+\.(ts|js):\d+/);
}

/** ADR 007 compatibility cases 28-31: LightRAG's Ollama emulation as Open WebUI uses it (Authorization: Bearer sk-…). */
describe('LightRAG compat: Ollama emulation (/api/*)', () => {
  let t: TestApp;
  let f: LightragFixture;
  const bearer = (c: { key?: string }) => ({ token: c.key! });

  beforeAll(async () => {
    t = await startTestApp();
    f = await seedLightragFixture(t);
    await addTextAndWait(t.http, f.A.tenantId, f.A.manualsId, T1, 'a.txt', f.kAll);
    await addTextAndWait(t.http, f.B.tenantId, f.B.secretsId, TB, 'secret.txt', f.kB);
  });
  afterAll(() => t.close());

  const chat = (body: unknown, as = bearer(f.kAll), headers: Record<string, string> = {}) => lr(t, 'POST', '/api/chat', { as, body, headers });

  it('#28 version and tags with Bearer kAll; a model per KB; no credentials → 401 with error and detail', async () => {
    const v = await lr(t, 'GET', '/api/version', { as: bearer(f.kAll) });
    expect(v.status).toBe(200);
    expect(v.body).toEqual({ version: '0.9.3' });

    const tags = await lr(t, 'GET', '/api/tags', { as: bearer(f.kAll) });
    expect(tags.status).toBe(200);
    const names = tags.body.models.map((m: { name: string }) => m.name);
    expect(names).toEqual(['lightrag:latest', 'lightrag:manuals', 'lightrag:default']);
    for (const m of tags.body.models) {
      expect(m).toEqual({
        name: m.name,
        model: m.name,
        modified_at: expect.any(String),
        size: expect.any(Number),
        digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
        details: { parent_model: '', format: 'gguf', family: 'lightrag', families: ['lightrag'], parameter_size: '13B', quantization_level: 'Q4_0' },
      });
      expect(Number.isInteger(m.size)).toBe(true);
      expect(Number.isNaN(Date.parse(m.modified_at))).toBe(false);
    }

    const none = await lr(t, 'GET', '/api/tags');
    expectOllamaError(none, 401);
    expect(none.body.error).toBe(none.body.detail);
    const wrong = await lr(t, 'GET', '/api/version', { as: { token: 'sk-wrong' } });
    expectOllamaError(wrong, 403);
    expect(wrong.body.error).toBe('Invalid API Key');
  });

  it('#28 a KB-scoped key lists only its KBs; another tenant lists only its own', async () => {
    const m = await lr(t, 'GET', '/api/tags', { as: bearer(f.kM) });
    expect(m.body.models.map((x: { name: string }) => x.name)).toEqual(['lightrag:latest', 'lightrag:manuals']);
    const b = await lr(t, 'GET', '/api/tags', { as: bearer(f.kB) });
    // globex has no KB named default: no "latest", only its own KB
    expect(b.body.models.map((x: { name: string }) => x.name)).toEqual(['lightrag:secrets']);
    expect(b.text).not.toMatch(/manuals/i);
  });

  it('#28 every listed model selects its own KB; a shared, reserved or unparsable tag is the KB id', async () => {
    const names = ['Docs v1', 'docs_v1', 'latest', 'x__y', 'Q&A', 'default'];
    const s = await seedTenant(t, 'Ollama Tags', names);
    const tags = await lr(t, 'GET', '/api/tags', { as: bearer(s.key) });
    const models: string[] = tags.body.models.map((m: { name: string }) => m.name);
    expect(models).toEqual([
      'lightrag:latest',
      `lightrag:${s.kbIds[0]}`,
      `lightrag:${s.kbIds[1]}`,
      `lightrag:${s.kbIds[2]}`,
      `lightrag:${s.kbIds[3]}`,
      'lightrag:q_a',
      'lightrag:default',
    ]);
    const expected = [s.kbIds[5], ...s.kbIds];
    for (const [i, model] of models.entries()) {
      const r = await chat({ model, messages: [{ role: 'user', content: '/bypass hi' }], stream: false }, bearer(s.key));
      expect({ model, status: r.status, kb: r.headers.get('x-strata-kb-id') }).toEqual({ model, status: 200, kb: expected[i] });
    }
  });

  it('/api/ps lists the models with an ISO-8601 expires_at and size_vram', async () => {
    const r = await lr(t, 'GET', '/api/ps', { as: bearer(f.kAll) });
    expect(r.status).toBe(200);
    expect(r.body.models.length).toBe(3);
    for (const m of r.body.models) {
      expect(m.expires_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d$/);
      expect(Number.isNaN(Date.parse(m.expires_at))).toBe(false);
      expect(Number.isInteger(m.size_vram)).toBe(true);
      expect(m.details.format).toBe('gguf');
    }
  });

  it('the platform admin names tenant__kb for the model list, else 400', async () => {
    const bare = await lr(t, 'GET', '/api/tags', { as: t.admin });
    expectOllamaError(bare, 400);
    const r = await lr(t, 'GET', '/api/tags', { as: t.admin, ws: `${f.B.slug}__Secrets` });
    expect(r.status).toBe(200);
    expect(r.body.models.map((x: { name: string }) => x.name)).toEqual(['lightrag:latest', 'lightrag:secrets']);
  });

  it('#29 stream chat with lightrag:manuals and /naive: NDJSON frames, a final frame with integer counters, the answer from Manuals', async () => {
    const r = await chat({ model: 'lightrag:manuals', messages: [{ role: 'user', content: `/naive ${Q1}` }], stream: true });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    expect(r.headers.get('x-strata-kb-id')).toBe(f.A.manualsId);
    const lines = frames(r);
    expect(lines.length).toBeGreaterThan(1);
    const last = lines[lines.length - 1];
    for (const fr of lines.slice(0, -1)) {
      expect(fr).toEqual({ model: 'lightrag:manuals', created_at: expect.any(String), message: { role: 'assistant', content: expect.any(String), images: null }, done: false });
    }
    expect(last).toMatchObject({ model: 'lightrag:manuals', message: { role: 'assistant', content: '', images: null }, done_reason: 'stop', done: true });
    for (const k of FINAL_COUNTERS) expect(Number.isInteger(last[k])).toBe(true);
    expect(last.total_duration).toBeGreaterThan(0);
    const content = lines
      .slice(0, -1)
      .map((l) => l.message.content)
      .join('');
    expect(content).toContain('every 200 cups');
    expect(content).toContain('a.txt');
  });

  it('#30a stream:false → one application/json object with done:true', async () => {
    const r = await chat({ model: 'lightrag:manuals', messages: [{ role: 'user', content: Q1 }], stream: false });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.body).toMatchObject({ model: 'lightrag:manuals', message: { role: 'assistant', images: null }, done: true, done_reason: 'stop' });
    expect(r.body.message.content).toContain('every 200 cups');
    for (const k of FINAL_COUNTERS) expect(Number.isInteger(r.body[k])).toBe(true);
  });

  it('#30b-c last message not from the user → 400; no messages → 400', async () => {
    const b = await chat({
      model: 'lightrag:manuals',
      messages: [
        { role: 'user', content: Q1 },
        { role: 'assistant', content: 'It descales.' },
      ],
    });
    expectOllamaError(b, 400);
    expect(b.body).toEqual({ error: 'Last message must be from user role', detail: 'Last message must be from user role' });
    const c = await chat({ model: 'lightrag:manuals', messages: [] });
    expectOllamaError(c, 400);
    expect(c.body.error).toBe('No messages provided');
  });

  it('#30d a model tag outside the key scope → 403; #30e a tag and a conflicting header → 400', async () => {
    const d = await chat({ model: 'lightrag:default', messages: [{ role: 'user', content: Q1 }], stream: false }, bearer(f.kM));
    expectOllamaError(d, 403);
    const e = await chat({ model: 'lightrag:manuals', messages: [{ role: 'user', content: Q1 }], stream: false }, bearer(f.kAll), { 'lightrag-workspace': 'default' });
    expectOllamaError(e, 400);
    expect(e.body.error).toBe('Conflicting workspace selectors.');
  });

  it('a model tag naming another tenant’s KB → 403 whether or not it exists', async () => {
    const r = await chat({ model: `lightrag:${f.B.slug}__Secrets`, messages: [{ role: 'user', content: QB }], stream: false });
    expectOllamaError(r, 403);
    const missing = await chat({ model: `lightrag:${f.B.slug}__Nope`, messages: [{ role: 'user', content: QB }], stream: false });
    expectOllamaError(missing, 403);
    expect(missing.body.error.replace('Nope', 'X')).toBe(r.body.error.replace('Secrets', 'X'));
    expect(r.text).not.toContain(CANARY);
  });

  it('KB isolation: a chat through tenant A never cites tenant B’s documents', async () => {
    for (const model of ['lightrag:latest', 'lightrag:manuals', 'lightrag:default']) {
      for (const stream of [true, false]) {
        const r = await chat({ model, messages: [{ role: 'user', content: `/naive ${QB}` }], stream });
        expect(r.status).toBe(200);
        expect(r.text).not.toContain(CANARY);
        expect(r.text).not.toContain('secret.txt');
        expect(r.text).not.toContain('Nightingale board');
      }
    }
    // the same question through B's own key finds B's document
    const own = await chat({ model: 'lightrag:secrets', messages: [{ role: 'user', content: `/naive ${QB}` }], stream: false }, bearer(f.kB));
    expect(own.status).toBe(200);
    expect(own.body.message.content).toContain(CANARY);
  });

  it('the path-scoped form /lightrag/w/<slug>__Manuals/api/chat with lightrag:latest answers from Manuals', async () => {
    const r = await t.http.request('POST', `/lightrag/w/${f.A.slug}__Manuals/api/chat`, {
      as: bearer(f.kAll),
      body: { model: 'lightrag:latest', messages: [{ role: 'user', content: Q1 }], stream: false },
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-strata-kb-id')).toBe(f.A.manualsId);
    expect(r.body.message.content).toContain('every 200 cups');
    const tags = await t.http.request('GET', `/lightrag/w/${f.A.slug}__Manuals/api/tags`, { as: bearer(f.kAll) });
    expect(tags.body.models[0].name).toBe('lightrag:latest');
    // a tag naming another KB than the path is a conflict
    const c = await t.http.request('POST', `/lightrag/w/${f.A.slug}__Manuals/api/chat`, {
      as: bearer(f.kAll),
      body: { model: 'lightrag:default', messages: [{ role: 'user', content: Q1 }], stream: false },
    });
    expectOllamaError(c, 400);
  });

  it('query prefixes: /naivecontext returns the retrieved context (no answer), /local[…] takes instructions, earlier messages are history', async () => {
    const ctx = await chat({ model: 'lightrag:manuals', messages: [{ role: 'user', content: `/naivecontext ${Q1}` }], stream: false });
    expect(ctx.status).toBe(200);
    expect(ctx.body.message.content).toContain('Document Chunks');
    expect(ctx.body.message.content).toContain(T1);
    expect(ctx.body.message.content).toContain('[1] a.txt');
    const bracket = await chat({ model: 'lightrag:manuals', messages: [{ role: 'user', content: `/naive[answer in one line] ${Q1}` }], stream: false });
    expect(bracket.status).toBe(200);
    expect(bracket.body.message.content).toContain('every 200 cups');
    const history = await chat({
      model: 'lightrag:manuals',
      messages: [
        { role: 'system', content: 'You are a helpful assistant.' },
        { role: 'user', content: 'Hello' },
        { role: 'assistant', content: 'Hi! How can I help?' },
        { role: 'tool', content: '{"weather": "sunny"}' },
        { role: 'user', content: Q1, images: null },
      ],
      stream: false,
    });
    expect(history.status).toBe(200);
    expect(history.body.message.content).toContain('every 200 cups');
    const empty = await chat({ model: 'lightrag:manuals', messages: [{ role: 'user', content: '/naive' }], stream: false });
    expectOllamaError(empty, 400);
    expect(empty.body.error).toBe('The question (the last user message) is empty.');
    const blank = await chat({ model: 'lightrag:manuals', messages: [{ role: 'user', content: '   ' }], stream: false });
    expect(blank.body).toEqual({ error: 'The question (the last user message) is empty.', detail: 'The question (the last user message) is empty.' });
  });

  it('#31 generate (stream false by default): LightRAG’s shape; stream:true gives response frames and a final frame', async () => {
    const r = await lr(t, 'POST', '/api/generate', { as: bearer(f.kAll), body: { model: 'lightrag:latest', prompt: 'Say hi', stream: false } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.body).toMatchObject({ model: 'lightrag:latest', response: expect.any(String), done: true, done_reason: 'stop', context: [] });
    expect(typeof r.body.created_at).toBe('string');
    for (const k of FINAL_COUNTERS) expect(Number.isInteger(r.body[k])).toBe(true);
    const d = await lr(t, 'POST', '/api/generate', { as: bearer(f.kAll), body: { model: 'lightrag:latest', prompt: 'Say hi' } });
    expect(d.body.done).toBe(true);
    const s = await lr(t, 'POST', '/api/generate', { as: bearer(f.kAll), body: { model: 'lightrag:manuals', prompt: 'Say hi', stream: true } });
    expect(s.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = frames(s);
    for (const fr of lines.slice(0, -1)) expect(fr).toEqual({ model: 'lightrag:manuals', created_at: expect.any(String), response: expect.any(String), done: false });
    expect(lines[lines.length - 1]).toMatchObject({ response: '', done: true, done_reason: 'stop', context: [] });
    // an empty prompt answers at once, as Ollama does ("load")
    const load = await lr(t, 'POST', '/api/generate', { as: bearer(f.kAll), body: { model: 'lightrag:latest', prompt: '' } });
    expect(load.body).toMatchObject({ response: '', done: true, done_reason: 'load' });
  });

  it('chat and generate spend the tenant’s one query budget (429 with error, detail and Retry-After) and are audited as query.run with the KB', async () => {
    const s = await seedTenant(t, 'Ollama Limited', ['default', 'Docs']);
    expect((await t.http.patch(`/api/v1/tenants/${s.tenantId}`, { limits: { queries_per_minute: 3 } }, t.admin)).status).toBe(200);
    const as = bearer(s.key);
    const ok = await lr(t, 'POST', '/api/chat', { as, body: { model: 'lightrag:docs', messages: [{ role: 'user', content: Q1 }] } });
    expect(ok.status).toBe(200);
    expect((await lr(t, 'POST', '/api/generate', { as, body: { model: 'lightrag:latest', prompt: 'Say hi' } })).status).toBe(200);
    expect((await t.http.post(`/api/v1/tenants/${s.tenantId}/knowledge-bases/${s.kbIds[0]}/query`, { query: Q1, mode: 'naive' }, s.key)).status).toBe(200);
    const refused = await lr(t, 'POST', '/api/chat', { as, body: { model: 'lightrag:docs', messages: [{ role: 'user', content: Q1 }] } });
    expectOllamaError(refused, 429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // the model list is not a query: it still answers
    expect((await lr(t, 'GET', '/api/tags', { as })).status).toBe(200);

    const logs = await t.http.get(`/api/v1/tenants/${s.tenantId}/audit-logs?action=query.run`, s.key);
    const entries = logs.body.data as Array<{ kb_id: string; actor: string; outcome: string; request_id: string }>;
    const chatEntry = entries.find((e) => e.request_id === ok.headers.get('x-request-id'));
    expect(chatEntry).toMatchObject({ kb_id: s.kbIds[1], actor: `api_key:${s.key.keyId}`, outcome: 'success' });
    expect(entries.filter((e) => e.kb_id === s.kbIds[0]).length).toBeGreaterThanOrEqual(2);
  });

  it('chat and generate need query:run', async () => {
    const k = await t.http.post(`/api/v1/tenants/${f.A.tenantId}/api-keys`, { key_name: 'reader', knowledge_base_ids: [f.A.manualsId], permissions: ['document:read'] }, t.admin);
    const reader = { token: k.body.data.key as string };
    expectOllamaError(await chat({ model: 'lightrag:latest', messages: [{ role: 'user', content: Q1 }] }, reader), 403);
    expectOllamaError(await lr(t, 'POST', '/api/generate', { as: reader, body: { model: 'lightrag:latest', prompt: 'hi' } }), 403);
    // the model list needs no permission
    expect((await lr(t, 'GET', '/api/tags', { as: reader })).status).toBe(200);
  });

  it('hostile input: huge messages arrays, non-string content, bad JSON, wrong types → 4xx with error and detail, never 500', async () => {
    const many = Array.from({ length: 100_000 }, () => ({ role: 'user', content: 'x' }));
    const started = Date.now();
    expectOllamaError(await chat({ model: 'lightrag:manuals', messages: many }), 422);
    expect(Date.now() - started).toBeLessThan(5000);
    const cases: unknown[] = [
      { model: 'lightrag:manuals', messages: [{ role: 'user', content: 42 }] },
      { model: 'lightrag:manuals', messages: [{ role: 'user', content: [{ type: 'text', text: Q1 }] }] },
      { model: 'lightrag:manuals', messages: [{ role: 'user', content: null }] },
      { model: 'lightrag:manuals', messages: [{ role: 'robot', content: Q1 }] },
      { model: 'lightrag:manuals', messages: [null] },
      { model: 'lightrag:manuals', messages: 'hello' },
      { model: 'lightrag:manuals', messages: [{ role: 'user', content: 'x'.repeat(10_001) }] },
      { model: 'lightrag:manuals', messages: [{ role: 'user', content: 'a\u0000b' }] },
      { model: 'lightrag:manuals', messages: [{ role: 'user', content: Q1 }], stream: 'yes' },
      { model: { name: 'lightrag:manuals' }, messages: [{ role: 'user', content: Q1 }] },
      { messages: [{ role: 'user', content: Q1 }] },
      [1, 2, 3],
      'just a string',
    ];
    for (const body of cases) {
      const r = await chat(body);
      expect({ body: JSON.stringify(body).slice(0, 80), status: r.status }).toEqual({ body: JSON.stringify(body).slice(0, 80), status: 422 });
      expectOllamaError(r, 422);
    }
    const badJson = await t.http.request('POST', '/lightrag/api/chat', {
      as: bearer(f.kAll),
      raw: '{"model": "lightrag:manuals", "messages": [',
      headers: { 'content-type': 'application/json' },
    });
    expectOllamaError(badJson, 422);
    expect(badJson.body.detail[0].type).toBe('json_invalid');
    const badGen = await lr(t, 'POST', '/api/generate', { as: bearer(f.kAll), body: { model: 'lightrag:latest', prompt: ['x'] } });
    expectOllamaError(badGen, 422);
    expect(badGen.body.error).toMatch(/prompt/);
    const longTag = await chat({ model: `lightrag:${'m'.repeat(250)}`, messages: [{ role: 'user', content: Q1 }] });
    expect(longTag.status).toBeGreaterThanOrEqual(400);
    expect(longTag.status).toBeLessThan(500);
  });
});

/** The model's side of /api/generate and title generation, seen from a real OpenAI-compatible server. */
describe('LightRAG compat: Ollama emulation with an OpenAI-compatible model', () => {
  let fake: FakeOpenAiServer;
  let t: TestApp;
  let A: Awaited<ReturnType<typeof seedTenant>>;
  beforeAll(async () => {
    fake = await new FakeOpenAiServer().start();
    t = await startTestApp({ env: { LLM_BINDING: 'openai', LLM_MODEL: 'gpt-4o-mini', LLM_BINDING_HOST: fake.url, LLM_BINDING_API_KEY: 'sk-server-key' } });
    A = await seedTenant(t, 'Ollama Model', ['default']);
  });
  afterAll(async () => {
    await t.close();
    await fake.stop();
  });

  const chats = () => fake.requests.filter((r) => r.path.endsWith('/chat/completions'));
  const systemOf = (req: { body: { messages: Array<{ role: string; content: string }> } }) => req.body.messages.filter((m) => m.role === 'system').map((m) => m.content);

  it('a system prompt is used for its own request only: the next request without one sends none', async () => {
    fake.reset();
    const as = { token: A.key.key! };
    const first = await lr(t, 'POST', '/api/generate', { as, body: { model: 'lightrag:latest', prompt: 'Say hi', system: 'You are a pirate.' } });
    expect(first.status).toBe(200);
    expect(first.body.response).toContain('Fake answer to: Say hi');
    const second = await lr(t, 'POST', '/api/generate', { as, body: { model: 'lightrag:latest', prompt: 'Say hello' } });
    expect(second.status).toBe(200);
    const calls = chats();
    expect(calls).toHaveLength(2);
    expect(systemOf(calls[0])).toEqual(['You are a pirate.']);
    expect(systemOf(calls[1])).toEqual([]);
    // /bypass in a chat: the request's own system prompt, then again none
    const bypass = await lr(t, 'POST', '/api/chat', {
      as,
      body: { model: 'lightrag:latest', messages: [{ role: 'user', content: '/bypass Say hi' }], system: 'Be brief.', stream: false },
    });
    expect(bypass.status).toBe(200);
    const after = await lr(t, 'POST', '/api/generate', { as, body: { model: 'lightrag:latest', prompt: 'Say hi' } });
    expect(after.status).toBe(200);
    expect(systemOf(chats()[2])).toEqual(['Be brief.']);
    expect(systemOf(chats()[3])).toEqual([]);
  });

  it('Open WebUI title generation (non-stream, <chat_history>) goes to the model without retrieval', async () => {
    fake.reset();
    const prompt = '### Task:\nGenerate a concise title for the chat.\n<chat_history>\nUSER: How often does the machine descale?\nASSISTANT: Every 200 cups.\n</chat_history>';
    const r = await lr(t, 'POST', '/api/chat', { as: { token: A.key.key! }, body: { model: 'lightrag:latest', messages: [{ role: 'user', content: prompt }], stream: false } });
    expect(r.status).toBe(200);
    expect(r.body.done).toBe(true);
    expect(r.body.message.content).toContain('Fake answer to: ### Task:');
    // one model call (the answer), no keyword extraction, no embeddings
    expect(chats()).toHaveLength(1);
    expect(fake.requests.filter((x) => x.path.endsWith('/embeddings'))).toHaveLength(0);
  });

  it('a model failure while streaming ends with an error frame and then the final frame', async () => {
    fake.reset();
    fake.fail({ kind: 'status', status: 400, body: 'context length exceeded' }, 1);
    const r = await lr(t, 'POST', '/api/generate', { as: { token: A.key.key! }, body: { model: 'lightrag:latest', prompt: 'Say hi', stream: true } });
    expect(r.status).toBe(200);
    const lines = frames(r);
    const err = lines.find((l) => 'error' in l);
    expect(err).toMatchObject({ done: false, error: expect.stringMatching(/^\n\nError: /) });
    expect(lines[lines.length - 1]).toMatchObject({ done: true, done_reason: 'stop' });
  });

  it('a model failure without streaming is an error response with error and detail, no internals', async () => {
    fake.reset();
    fake.fail({ kind: 'status', status: 400, body: 'context length exceeded' }, 1);
    const r = await lr(t, 'POST', '/api/generate', { as: { token: A.key.key! }, body: { model: 'lightrag:latest', prompt: 'Say hi' } });
    expectOllamaError(r, 502);
    expect(r.text).not.toContain('sk-server-key');
  });
});

/** LIGHTRAG_COMPAT_STRICT=true: no default KB, so "lightrag:latest" names a KB only for a key bound to one. */
describe('LightRAG compat: Ollama emulation on a strict server', () => {
  let t: TestApp;
  let f: LightragFixture;
  beforeAll(async () => {
    t = await startTestApp({ env: { LIGHTRAG_COMPAT_STRICT: 'true' } });
    f = await seedLightragFixture(t);
  });
  afterAll(() => t.close());

  it('lists no lightrag:latest for a key over every KB, and a chat with it is 400; a KB tag or a one-KB key works', async () => {
    const all = await lr(t, 'GET', '/api/tags', { as: { token: f.kAll.key! } });
    expect(all.body.models.map((m: { name: string }) => m.name)).toEqual(['lightrag:manuals', 'lightrag:default']);
    const latest = await lr(t, 'POST', '/api/chat', { as: { token: f.kAll.key! }, body: { model: 'lightrag:latest', messages: [{ role: 'user', content: Q1 }], stream: false } });
    expectOllamaError(latest, 400);
    expect(latest.body.error).toBe('Missing LIGHTRAG-WORKSPACE header. Workspace identification is required.');
    const tagged = await lr(t, 'POST', '/api/chat', { as: { token: f.kAll.key! }, body: { model: 'lightrag:default', messages: [{ role: 'user', content: Q1 }], stream: false } });
    expect(tagged.status).toBe(200);
    expect(tagged.headers.get('x-strata-kb-id')).toBe(f.A.defaultId);
    const bound = await lr(t, 'GET', '/api/tags', { as: { token: f.kM.key! } });
    expect(bound.body.models.map((m: { name: string }) => m.name)).toEqual(['lightrag:latest', 'lightrag:manuals']);
    const viaKey = await lr(t, 'POST', '/api/chat', { as: { token: f.kM.key! }, body: { model: 'lightrag:latest', messages: [{ role: 'user', content: Q1 }], stream: false } });
    expect(viaKey.status).toBe(200);
    expect(viaKey.headers.get('x-strata-kb-id')).toBe(f.A.manualsId);
  });
});
