import { FakeOpenAiServer } from '../support/fake-openai-server';
import { seedTenant, startTestApp, TestApp } from '../support/test-app';

/**
 * End to end through the real openai client against the fake OpenAI server:
 * the usage route's totals equal the token counts the model server reported,
 * and a tenant with its own key is billed as byo_key with that key on the wire.
 */
describe('operations: usage from real model calls (fake OpenAI server)', () => {
  let fake: FakeOpenAiServer;
  let t: TestApp;
  beforeAll(async () => {
    fake = await new FakeOpenAiServer().start();
    t = await startTestApp({
      env: { LLM_BINDING: 'openai', LLM_MODEL: 'gpt-4o-mini', LLM_BINDING_HOST: fake.url, LLM_BINDING_API_KEY: 'sk-server-key', ENCRYPTION_KEY: 'cd'.repeat(32) },
    });
  });
  afterAll(async () => {
    await t.close();
    await fake.stop();
  });

  const ask = (tenantId: string, kbId: string, as: { key?: string }, query: string) =>
    t.http.post(`/api/v1/tenants/${tenantId}/knowledge-bases/${kbId}/query`, { query, mode: 'bypass' }, as);

  it('usage totals match the tokens the model server reported, hosted and byo_key', async () => {
    const hosted = await seedTenant(t, 'Usage Hosted');
    const byo = await seedTenant(t, 'Usage BYO');
    expect((await t.http.request('PUT', `/api/v1/tenants/${byo.tenantId}/llm-key`, { body: { api_key: 'sk-tenant-own-key-123' }, as: byo.key })).status).toBe(200);

    fake.reset();
    let input = 0;
    let output = 0;
    for (const q of ['What is Strata?', 'How are tenants isolated from each other?', 'Explain the audit chain.']) {
      const r = await ask(hosted.tenantId, hosted.kbIds[0], hosted.key, q);
      expect(r.status).toBe(200);
      input += r.body.data.usage.input_tokens;
      output += r.body.data.usage.output_tokens;
    }
    const own = await ask(byo.tenantId, byo.kbIds[0], byo.key, 'Who pays for this call?');
    expect(own.status).toBe(200);

    // Every chat call the server saw, and what it was paid with.
    const chats = fake.requests.filter((r) => r.path.endsWith('/chat/completions'));
    expect(chats.length).toBeGreaterThanOrEqual(4);
    expect(chats.filter((r) => r.headers.authorization === 'Bearer sk-tenant-own-key-123').length).toBeGreaterThanOrEqual(1);

    const h = (await t.http.get(`/api/v1/tenants/${hosted.tenantId}/usage`, hosted.key)).body.data;
    const answer = h.by_model.find((m: { model: string; execution_mode: string }) => m.model === 'gpt-4o-mini' && m.execution_mode === 'hosted');
    expect(input).toBeGreaterThan(0);
    // bypass makes exactly one model call per query (the answer), so the totals are exactly the reported usage.
    expect(chats.filter((r) => r.headers.authorization === 'Bearer sk-server-key')).toHaveLength(3);
    expect(answer).toMatchObject({ calls: 3, input_tokens: input, output_tokens: output });
    expect(answer.cost_usd).toBeCloseTo((input * 0.15 + output * 0.6) / 1e6, 8);

    const b = (await t.http.get(`/api/v1/tenants/${byo.tenantId}/usage`, byo.key)).body.data;
    expect(b.by_model.map((m: { execution_mode: string }) => m.execution_mode)).toContain('byo_key');
    expect(b.totals.hosted_cost_usd).toBe(0);
    expect(b.totals.input_tokens).toBeGreaterThanOrEqual(own.body.data.usage.input_tokens);
  });
});
