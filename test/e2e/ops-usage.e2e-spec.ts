import { randomBytes } from 'node:crypto';
import { TenantLlmKeys, UsageSink } from '../../src/rag/ports';
import { createKey, seedTenant, startTestApp, TestApp } from '../support/test-app';
import { recordAnswerTokens } from '../support/usage';

const ENCRYPTION_KEY = randomBytes(32).toString('hex');

describe('operations: usage and cost, the monthly model budget, the tenant LLM key', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { ENCRYPTION_KEY } });
  });
  afterAll(() => t.close());

  it('usage totals match the calls recorded, by day, model, KB and API key, with estimated cost', async () => {
    const a = await seedTenant(t, 'Usage A', ['kb1', 'kb2']);
    const b = await seedTenant(t, 'Usage B');
    const usage = t.app.get(UsageSink);
    const keyId = (await t.http.get(`/api/v1/tenants/${a.tenantId}/api-keys`, t.admin)).body.data[0].key_id as string;
    for (let i = 0; i < 3; i++)
      usage.record({
        tenantId: a.tenantId,
        kbId: a.kbIds[0],
        apiKeyId: keyId,
        provider: 'openai',
        model: 'gpt-4o-mini',
        kind: 'answer',
        inputTokens: 1000,
        outputTokens: 500,
        executionMode: 'hosted',
      });
    usage.record({
      tenantId: a.tenantId,
      kbId: a.kbIds[1],
      provider: 'openai',
      model: 'text-embedding-3-small',
      kind: 'embedding',
      inputTokens: 2000,
      outputTokens: 0,
      executionMode: 'byo_key',
    });
    usage.record({
      tenantId: a.tenantId,
      kbId: a.kbIds[1],
      provider: 'local',
      model: 'local-lexical-hash',
      kind: 'embedding',
      inputTokens: 70,
      outputTokens: 0,
      executionMode: 'hosted',
    });
    // Another tenant's usage must not show up in A's report.
    usage.record({ tenantId: b.tenantId, kbId: b.kbIds[0], provider: 'openai', model: 'gpt-4o', kind: 'answer', inputTokens: 9999, outputTokens: 9999, executionMode: 'hosted' });

    const r = await t.http.get(`/api/v1/tenants/${a.tenantId}/usage`, a.key);
    expect(r.status).toBe(200);
    const d = r.body.data;
    expect(d.totals.calls).toBe(5);
    expect(d.totals.input_tokens).toBe(3 * 1000 + 2000 + 70);
    expect(d.totals.output_tokens).toBe(3 * 500);
    // 3 × (1000 × 0.15 + 500 × 0.60) / 1e6 + 2000 × 0.02 / 1e6
    expect(d.totals.cost_usd).toBeCloseTo(3 * 0.00045 + 0.00004, 8);
    expect(d.totals.hosted_cost_usd).toBeCloseTo(0.00135, 8);
    expect(d.totals.byo_key_cost_usd).toBeCloseTo(0.00004, 8);
    expect(d.by_day).toHaveLength(1);
    expect(d.by_day[0].day).toBe(new Date().toISOString().slice(0, 10));
    const mini = d.by_model.find((m: { model: string }) => m.model === 'gpt-4o-mini');
    expect(mini).toMatchObject({ provider: 'openai', execution_mode: 'hosted', calls: 3, input_tokens: 3000, output_tokens: 1500 });
    expect(d.by_model.map((m: { model: string }) => m.model)).not.toContain('gpt-4o');
    const kb2 = d.by_kb.find((k: { kb_id: string }) => k.kb_id === a.kbIds[1]);
    expect(kb2).toMatchObject({ calls: 2, input_tokens: 2070 });
    // The three answers were made with A's key; the two embeddings with no key.
    expect(d.by_api_key).toEqual([
      expect.objectContaining({ api_key_id: keyId, calls: 3, input_tokens: 3000, output_tokens: 1500 }),
      expect.objectContaining({ api_key_id: null, calls: 2, input_tokens: 2070 }),
    ]);
    expect(d.limits).toMatchObject({ monthly_token_limit: null, warning: false, exceeded: false });

    const window = await t.http.get(`/api/v1/tenants/${a.tenantId}/usage?since=2020-01-01T00:00:00Z&until=2020-02-01T00:00:00Z`, a.key);
    expect(window.status).toBe(200);
    expect(window.body.data.totals.calls).toBe(0);
  });

  it('bad dates are 400, another tenant is 403, and usage:read is required', async () => {
    const a = await seedTenant(t, 'Usage C');
    const b = await seedTenant(t, 'Usage D');
    expect((await t.http.get(`/api/v1/tenants/${a.tenantId}/usage?since=yesterday`, a.key)).status).toBe(400);
    expect((await t.http.get(`/api/v1/tenants/${a.tenantId}/usage?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z`, a.key)).status).toBe(400);
    expect((await t.http.get(`/api/v1/tenants/${b.tenantId}/usage`, a.key)).status).toBe(403);
    const reader = await createKey(t, a.tenantId, ['*'], ['kb:read']);
    expect((await t.http.get(`/api/v1/tenants/${a.tenantId}/usage`, reader)).status).toBe(403);
  });

  /** A 429 QUOTA_EXCEEDED in the error envelope, with Retry-After = the seconds left until the next UTC month starts. */
  const expectBudgetRefusal = (r: { status: number; headers: Headers; body: any }, sentAt: number) => {
    expect(r.status).toBe(429);
    expect(r.body).toMatchObject({ status: 'error', error: { code: 'QUOTA_EXCEEDED', request_id: expect.any(String) } });
    const retryAfter = r.headers.get('retry-after');
    expect(retryAfter).toMatch(/^\d+$/);
    const now = new Date(sentAt);
    const untilNextMonth = (Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1) - sentAt) / 1000;
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(Math.floor(untilNextMonth) - 5);
    expect(Number(retryAfter)).toBeLessThanOrEqual(Math.ceil(untilNextMonth) + 1);
  };

  it('with monthly_token_limit 1: the first query is answered (200), then query and query/stream are 429 QUOTA_EXCEEDED with Retry-After until next month, and /usage says exceeded', async () => {
    const a = await seedTenant(t, 'Budget Query');
    expect((await t.http.patch(`/api/v1/tenants/${a.tenantId}`, { limits: { monthly_token_limit: 1 } }, t.admin)).status).toBe(200);
    const path = `/api/v1/tenants/${a.tenantId}/knowledge-bases/${a.kbIds[0]}/query`;

    const first = await t.http.post(path, { query: 'What is in this knowledge base?', mode: 'naive' }, a.key);
    expect(first.status).toBe(200);
    expect(first.body.data.usage.total_tokens).toBeGreaterThan(0);

    for (let i = 0; i < 2; i++) {
      const sentAt = Date.now();
      expectBudgetRefusal(await t.http.post(path, { query: 'And again?', mode: 'naive' }, a.key), sentAt);
    }
    const sentAt = Date.now();
    expectBudgetRefusal(await t.http.post(`${path}/stream`, { query: 'Streamed?', mode: 'naive' }, a.key), sentAt);

    const usage = await t.http.get(`/api/v1/tenants/${a.tenantId}/usage`, a.key);
    expect(usage.body.data.limits).toMatchObject({ monthly_token_limit: 1, warning: true, exceeded: true });
    // The answer's tokens, plus the query embedding's: only the first query spent anything.
    expect(usage.body.data.limits.month_tokens).toBeGreaterThanOrEqual(first.body.data.usage.total_tokens);
  });

  it('with the monthly token limit used up, document text, texts and file upload are 429 QUOTA_EXCEEDED with Retry-After and store nothing; reads still work', async () => {
    const a = await seedTenant(t, 'Budget Ingestion');
    expect((await t.http.patch(`/api/v1/tenants/${a.tenantId}`, { limits: { monthly_token_limit: 1000 } }, t.admin)).status).toBe(200);
    recordAnswerTokens(t, a.tenantId, a.kbIds[0], 900, 100);
    const docs = `/api/v1/tenants/${a.tenantId}/knowledge-bases/${a.kbIds[0]}/documents`;

    let sentAt = Date.now();
    expectBudgetRefusal(await t.http.post(`${docs}/text`, { text: 'A text that would be embedded and extracted.' }, a.key), sentAt);
    sentAt = Date.now();
    expectBudgetRefusal(await t.http.post(`${docs}/texts`, { texts: ['one text', 'another text'] }, a.key), sentAt);
    const form = new FormData();
    form.append('file', new Blob([Buffer.from('An uploaded file that would be embedded.')], { type: 'text/plain' }), 'notes.txt');
    sentAt = Date.now();
    expectBudgetRefusal(await t.http.request('POST', `${docs}/add`, { raw: form, as: a.key }), sentAt);

    const list = await t.http.get(docs, a.key);
    expect(list.status).toBe(200);
    expect(list.body.data).toEqual([]);
    expect(list.body.meta.total).toBe(0);
  });

  it('/usage reports the 80 % warning while queries are still answered; at 100 % it reports exceeded and the query is 429; raising the limit answers again at once', async () => {
    const a = await seedTenant(t, 'Budget Warning');
    expect((await t.http.patch(`/api/v1/tenants/${a.tenantId}`, { limits: { monthly_token_limit: 100_000 } }, t.admin)).status).toBe(200);
    const path = `/api/v1/tenants/${a.tenantId}/knowledge-bases/${a.kbIds[0]}/query`;
    recordAnswerTokens(t, a.tenantId, a.kbIds[0], 70_000, 15_000);

    const warn = await t.http.get(`/api/v1/tenants/${a.tenantId}/usage`, a.key);
    expect(warn.body.data.limits).toMatchObject({ monthly_token_limit: 100_000, month_tokens: 85_000, warning: true, exceeded: false });
    expect((await t.http.post(path, { query: 'Still answered at 85 %?', mode: 'naive' }, a.key)).status).toBe(200);

    recordAnswerTokens(t, a.tenantId, a.kbIds[0], 10_000, 5_000);
    const over = await t.http.get(`/api/v1/tenants/${a.tenantId}/usage`, a.key);
    expect(over.body.data.limits).toMatchObject({ warning: true, exceeded: true });
    expect(over.body.data.limits.month_tokens).toBeGreaterThanOrEqual(100_000);
    const sentAt = Date.now();
    expectBudgetRefusal(await t.http.post(path, { query: 'Refused at 100 %?', mode: 'naive' }, a.key), sentAt);

    expect((await t.http.patch(`/api/v1/tenants/${a.tenantId}`, { limits: { monthly_token_limit: 1_000_000 } }, t.admin)).status).toBe(200);
    expect((await t.http.post(path, { query: 'Answered after the raise?', mode: 'naive' }, a.key)).status).toBe(200);
  });

  it('stores a tenant LLM key encrypted, never returns it, and hands it to the providers', async () => {
    const a = await seedTenant(t, 'BYO Key');
    const b = await seedTenant(t, 'BYO Other');
    const secret = `sk-tenant-own-${randomBytes(12).toString('hex')}`;
    const none = await t.http.get(`/api/v1/tenants/${a.tenantId}/llm-key`, a.key);
    expect(none.body.data).toEqual({ configured: false, key_suffix: null, updated_at: null });

    const put = await t.http.request('PUT', `/api/v1/tenants/${a.tenantId}/llm-key`, { body: { api_key: secret }, as: a.key });
    expect(put.status).toBe(200);
    expect(put.body.data).toMatchObject({ configured: true, key_suffix: `…${secret.slice(-4)}` });
    expect(put.text).not.toContain(secret);
    const get = await t.http.get(`/api/v1/tenants/${a.tenantId}/llm-key`, a.key);
    expect(get.text).not.toContain(secret);

    const stored = await t.db.withPlatform((db) => db.one<{ ciphertext: string }>(`SELECT ciphertext FROM tenant_llm_keys WHERE tenant_id = $1`, [a.tenantId]));
    expect(stored?.ciphertext).toMatch(/^v1:/);
    expect(stored?.ciphertext).not.toContain(secret.slice(4));

    const keys = t.app.get(TenantLlmKeys);
    await expect(keys.getKey(a.tenantId)).resolves.toBe(secret);
    await expect(keys.getKey(b.tenantId)).resolves.toBeNull();

    // Foreign tenant: 403; bad body: 400.
    expect((await t.http.request('PUT', `/api/v1/tenants/${b.tenantId}/llm-key`, { body: { api_key: secret }, as: a.key })).status).toBe(403);
    expect((await t.http.request('PUT', `/api/v1/tenants/${a.tenantId}/llm-key`, { body: { api_key: 'a b' }, as: a.key })).status).toBe(400);
    // A key that cannot travel in an HTTP header (non-ASCII) would break every later model call with a 502.
    expect((await t.http.request('PUT', `/api/v1/tenants/${a.tenantId}/llm-key`, { body: { api_key: 'sk-ＦＵＬＬＷＩＤＴＨ' }, as: a.key })).status).toBe(400);

    const del = await t.http.delete(`/api/v1/tenants/${a.tenantId}/llm-key`, a.key);
    expect(del.status).toBe(200);
    await expect(keys.getKey(a.tenantId)).resolves.toBeNull();
  });

  it('refuses to store a key without ENCRYPTION_KEY (409 naming the variable)', async () => {
    const plain = await startTestApp();
    try {
      const a = await seedTenant(plain, 'No Encryption');
      const r = await plain.http.request('PUT', `/api/v1/tenants/${a.tenantId}/llm-key`, { body: { api_key: 'sk-some-provider-key' }, as: a.key });
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe('CONFLICT');
      expect(r.body.error.message).toContain('ENCRYPTION_KEY');
    } finally {
      await plain.close();
    }
  });
});
