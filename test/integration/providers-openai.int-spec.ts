import { AppException } from '../../src/common/app-exception';
import { AppConfig, Settings } from '../../src/config/app-config';
import { MetricsService } from '../../src/metrics/metrics.service';
import { ModelFactory, ModelProviders } from '../../src/rag/providers/model-providers';
import { CallContext, ProviderSet } from '../../src/rag/providers/provider.types';
import { ModelUsage, TenantLlmKeys, UsageSink } from '../../src/rag/ports';
import { FakeOpenAiServer } from '../support/fake-openai-server';

/** A real UsageSink that keeps events in memory. */
class MemoryUsage extends UsageSink {
  events: ModelUsage[] = [];
  record(e: ModelUsage): void {
    this.events.push(e);
  }
}

class OneTenantKey extends TenantLlmKeys {
  async getKey(tenantId: string): Promise<string | null> {
    return tenantId === 'byo-tenant' ? 'sk-tenant-own' : null;
  }
}

const ctx: CallContext = { tenantId: 'tenant-a', kbId: 'kb-1', apiKeyId: 'key-1', purpose: 'answer' };

function settings(url: string, over: Partial<Settings> = {}) {
  return {
    llmBinding: 'openai' as const,
    llmModel: 'fake-chat',
    llmBindingHost: url,
    llmBindingApiKey: 'sk-server',
    llmTimeoutMs: 300,
    llmMaxConcurrency: 2,
    llmTenantConcurrency: 2,
    embeddingBinding: 'openai' as const,
    embeddingModel: 'fake-embed',
    embeddingDim: 16,
    ...over,
  };
}

async function failureOf(p: Promise<unknown>): Promise<AppException> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppException);
  return err as AppException;
}

describe('openai binding against a fake OpenAI-compatible server', () => {
  let fake: FakeOpenAiServer;
  let usage: MemoryUsage;
  let metrics: MetricsService;
  let set: ProviderSet;

  beforeAll(async () => {
    fake = await new FakeOpenAiServer({ dim: 16 }).start();
  });
  afterAll(async () => {
    await fake.stop();
  });
  beforeEach(() => {
    fake.reset();
    fake.latencyMs = 0;
    usage = new MemoryUsage();
    metrics = new MetricsService();
    set = new ModelFactory({ settings: settings(fake.url), usage, metrics }).hostedSet();
  });

  it('embeds in batches of 64, normalised, with the server key, and records usage', async () => {
    const texts = Array.from({ length: 130 }, (_, i) => `text number ${i}`);
    const vectors = await set.embedding.embed(texts, { ...ctx, purpose: 'embedding' });
    expect(vectors).toHaveLength(130);
    for (const v of vectors) {
      expect(v).toHaveLength(16);
      expect(v.reduce((s, x) => s + x * x, 0)).toBeCloseTo(1, 5);
    }
    expect(fake.requests.map((r) => r.body.input.length)).toEqual([64, 64, 2]);
    expect(fake.requests[0].headers.authorization).toBe('Bearer sk-server');
    expect(fake.requests[0].body.encoding_format).toBe('float');
    expect(usage.events).toHaveLength(3);
    expect(usage.events[0]).toEqual({
      tenantId: 'tenant-a',
      kbId: 'kb-1',
      apiKeyId: 'key-1',
      provider: 'openai',
      model: 'fake-embed',
      kind: 'embedding',
      inputTokens: 192,
      outputTokens: 0,
      executionMode: 'hosted',
    });
    expect(await metrics.registry.getSingleMetricAsString('provider_latency_seconds')).toContain('binding="openai",kind="embedding"');
  });

  it('rejects embeddings of the wrong dimension with a clear UPSTREAM_ERROR, without retrying', async () => {
    fake.fail({ kind: 'wrong_dimension', dim: 8 });
    const err = await failureOf(set.embedding.embed(['x'], ctx));
    expect(err.code).toBe('UPSTREAM_ERROR');
    expect(err.message).toBe('The language model provider failed: model fake-embed returned 8-dimensional embeddings but EMBEDDING_DIM is 16.');
    expect(fake.requests).toHaveLength(1);
  });

  it('completes a chat and reports usage from the response', async () => {
    const out = await set.llm!.complete([{ role: 'user', content: 'Say hello' }], { temperature: 0 }, ctx);
    expect(out.text).toBe('Fake answer to: Say hello [1]');
    expect(out.usage).toEqual({ input_tokens: 2, output_tokens: 6 });
    expect(usage.events).toEqual([expect.objectContaining({ provider: 'openai', model: 'fake-chat', kind: 'answer', inputTokens: 2, outputTokens: 6 })]);
  });

  it('answers with the LightRAG-style context prompt, and bypass sends only history + query', async () => {
    const input = {
      query: 'Where was Acme founded?',
      chunks: [{ chunk_id: 'c1', document_id: 'd1', file_path: 'acme.txt', content: 'Acme was founded in Paris.', score: 0.9 }],
      entities: [{ name: 'Acme', type: 'organization', description: 'A company', score: 1 }],
      relations: [{ source: 'Acme', target: 'Paris', keywords: 'founded in', description: 'HQ', score: 1 }],
      responseType: 'Bullet Points',
      history: [
        { role: 'user' as const, content: 'Hi' },
        { role: 'assistant' as const, content: 'Hello' },
      ],
    };
    const res = await set.answerer.answer(input, ctx);
    expect(res.text).toContain('Fake answer to: Where was Acme founded?');
    const sent = fake.requests[0].body.messages;
    expect(sent[0].role).toBe('system');
    expect(sent[0].content).toContain('Format: Bullet Points');
    expect(sent[0].content).toContain('{"reference_id":1,"content":"Acme was founded in Paris."}');
    expect(sent[0].content).toContain('[1] acme.txt');
    expect(sent.slice(1).map((m: { content: string }) => m.content)).toEqual(['Hi', 'Hello', 'Where was Acme founded?']);

    await set.answerer.answer({ ...input, bypass: true }, ctx);
    expect(fake.requests[1].body.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant', 'user']);
  });

  it('the caller’s user prompt goes into the answer’s system prompt (a system message in bypass); a blank one adds nothing', async () => {
    const input = {
      query: 'Where was Acme founded?',
      chunks: [{ chunk_id: 'c1', document_id: 'd1', file_path: 'acme.txt', content: 'Acme was founded in Paris.', score: 0.9 }],
      entities: [],
      relations: [],
    };
    await set.answerer.answer({ ...input, userPrompt: 'Answer in French.' }, ctx);
    const withPrompt = fake.requests[0].body.messages;
    expect(withPrompt[0].content).toContain('Additional instructions from the user (follow them unless they contradict the rules above):\nAnswer in French.');
    expect(withPrompt.map((m: { role: string }) => m.role)).toEqual(['system', 'user']);
    await set.answerer.answer({ ...input, userPrompt: '   ' }, ctx);
    expect(fake.requests[1].body.messages[0].content).not.toContain('Additional instructions');
    await set.answerer.answer({ ...input, bypass: true, userPrompt: 'Answer in French.' }, ctx);
    expect(fake.requests[2].body.messages).toEqual([
      { role: 'system', content: 'Answer in French.' },
      { role: 'user', content: 'Where was Acme founded?' },
    ]);
  });

  it('streams answer deltas and records usage when the stream ends', async () => {
    const deltas: string[] = [];
    for await (const d of set.answerer.stream({ query: 'Stream this please', chunks: [], entities: [], relations: [], bypass: true }, ctx)) deltas.push(d);
    expect(deltas.length).toBeGreaterThan(2);
    expect(deltas.join('')).toBe('Fake answer to: Stream this please [1]');
    expect(fake.requests[0].body.stream).toBe(true);
    expect(usage.events).toEqual([expect.objectContaining({ kind: 'answer', inputTokens: 3, outputTokens: 7 })]);
  });

  it('retries a stream that fails before its first delta; a consumer that stops early frees the slot', async () => {
    fake.fail({ kind: 'status', status: 503 });
    const deltas: string[] = [];
    for await (const d of set.llm!.stream([{ role: 'user', content: 'retry the stream' }], {}, ctx)) deltas.push(d);
    expect(deltas.join('')).toBe('Fake answer to: retry the stream [1]');
    expect(fake.requests).toHaveLength(2);

    const factory = new ModelFactory({ settings: settings(fake.url), usage });
    for await (const _ of factory.hostedSet().llm!.stream([{ role: 'user', content: 'stop early please' }], {}, ctx)) {
      void _;
      break;
    }
    expect(factory.semaphore.inFlight).toBe(0);
  });

  it('retries a 429, honouring Retry-After, then succeeds', async () => {
    fake.fail({ kind: 'status', status: 429, retryAfter: '1' });
    const started = Date.now();
    const out = await set.llm!.complete([{ role: 'user', content: 'again' }], {}, ctx);
    expect(out.text).toContain('again');
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1].at - fake.requests[0].at).toBeGreaterThanOrEqual(950);
    expect(Date.now() - started).toBeLessThan(5000);
    // provider_errors counts calls that failed, after the client's retries: this one succeeded.
    expect(await metrics.registry.getSingleMetricAsString('provider_errors')).not.toContain('kind="answer"');
  });

  it('gives up after 3 attempts of HTTP 500 with a clear UPSTREAM_ERROR', async () => {
    fake.fail({ kind: 'status', status: 500 }, 3);
    const err = await failureOf(set.llm!.complete([{ role: 'user', content: 'x' }], {}, ctx));
    expect(err.code).toBe('UPSTREAM_ERROR');
    expect(err.status).toBe(502);
    expect(err.message).toBe('The language model provider failed: the provider returned HTTP 500 (after 3 attempts).');
    expect(fake.requests).toHaveLength(3);
    expect(usage.events).toHaveLength(0);
    expect(await metrics.registry.getSingleMetricAsString('provider_errors')).toContain('provider_errors{binding="openai",kind="answer"} 1');
  });

  it('does not retry a 401 (bad key)', async () => {
    fake.fail({ kind: 'status', status: 401 });
    const err = await failureOf(set.llm!.complete([{ role: 'user', content: 'x' }], {}, ctx));
    expect(err.message).toBe('The language model provider failed: the provider rejected the API key (HTTP 401).');
    expect(fake.requests).toHaveLength(1);
  });

  it('times out a slow response, retries, and fails clearly when every attempt is slow', async () => {
    fake.fail({ kind: 'delay', ms: 1000 });
    const ok = await set.llm!.complete([{ role: 'user', content: 'slow once' }], {}, ctx);
    expect(ok.text).toContain('slow once');
    expect(fake.requests).toHaveLength(2);

    fake.reset();
    fake.fail({ kind: 'delay', ms: 1000 }, 3);
    const err = await failureOf(set.llm!.complete([{ role: 'user', content: 'always slow' }], {}, ctx));
    expect(err.message).toBe('The language model provider failed: the request timed out (after 3 attempts).');
    expect(fake.requests).toHaveLength(3);
  });

  it('retries a connection reset (no response) 3 times, then fails with a readable UPSTREAM_ERROR', async () => {
    fake.fail({ kind: 'reset' }, 3);
    const err = await failureOf(set.llm!.complete([{ role: 'user', content: 'reset me' }], {}, ctx));
    expect(err.code).toBe('UPSTREAM_ERROR');
    expect(err.message).toBe('The language model provider failed: the connection to the provider could not be made or was reset (after 3 attempts).');
    expect(fake.requests.map((r) => r.fault)).toEqual(['reset', 'reset', 'reset']);

    fake.reset();
    fake.fail({ kind: 'reset' });
    expect((await set.embedding.embed(['after a reset'], ctx))[0]).toHaveLength(16);
    expect(fake.requests).toHaveLength(2);
  });

  it('a provider that never answers: each attempt times out (LLM_TIMEOUT_MS), 3 attempts, then UPSTREAM_TIMEOUT (504); stop() frees held requests', async () => {
    fake.fail({ kind: 'hang' }, Infinity, { path: 'chat' });
    const err = await failureOf(set.llm!.complete([{ role: 'user', content: 'hang' }], {}, ctx));
    expect(err.code).toBe('UPSTREAM_TIMEOUT');
    expect(err.status).toBe(504);
    expect(err.message).toBe('The language model provider failed: the request timed out (after 3 attempts).');
    expect(fake.requests.map((r) => r.fault)).toEqual(['hang', 'hang', 'hang']);
    // The scope holds: embeddings still flow while chat hangs.
    expect(await set.embedding.embed(['still flowing'], ctx)).toHaveLength(1);

    const other = await new FakeOpenAiServer().start();
    other.fail({ kind: 'hang' });
    const held = fetch(`${other.url}/embeddings`, { method: 'POST', body: '{"input":"x"}' }).then(
      () => 'answered',
      () => 'closed',
    );
    while (other.hangingNow === 0) await new Promise((r) => setTimeout(r, 10));
    await other.stop();
    expect(await held).toBe('closed');
    expect(other.hangingNow).toBe(0);
  });

  it('a provider that sends its headers and then nothing: the body is bounded by the same timeout, 504 UPSTREAM_TIMEOUT, the slot freed', async () => {
    fake.fail({ kind: 'hang', after: 'headers' }, Infinity);
    const factory = new ModelFactory({ settings: settings(fake.url), usage });
    const started = Date.now();
    for (const call of [() => factory.hostedSet().llm!.complete([{ role: 'user', content: 'x' }], {}, ctx), () => factory.embedding.embed(['x'], ctx)]) {
      const err = await failureOf(call());
      expect(err.code).toBe('UPSTREAM_TIMEOUT');
      expect(err.message).toBe('The language model provider failed: the provider stopped sending its answer (timed out).');
    }
    // Two calls of one attempt each (the body is read after the client's retries), each bounded by LLM_TIMEOUT_MS (300 ms).
    expect(fake.requests.map((r) => r.fault)).toEqual(['hang', 'hang']);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(factory.semaphore.inFlight).toBe(0);
    // The client closed both connections (the server sees it shortly after).
    for (let i = 0; i < 100 && fake.hangingNow > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(fake.hangingNow).toBe(0);
  });

  it.each([
    ['application/json', 'with an HTML body'],
    ['text/html', 'as text/html'],
  ])('a 200 that is not JSON (%s) fails the call with a readable UPSTREAM_ERROR that quotes none of the body', async (contentType) => {
    fake.fail({ kind: 'malformed', contentType }, Infinity);
    for (const call of [() => set.llm!.complete([{ role: 'user', content: 'x' }], {}, ctx), () => set.embedding.embed(['x'], ctx)]) {
      const err = await failureOf(call());
      expect(err.code).toBe('UPSTREAM_ERROR');
      expect(err.message).toBe('The language model provider failed: the provider answered HTTP 200 with a body that is not valid JSON.');
      expect(err.message).not.toMatch(/<|html|Bad Gateway/i);
    }
    const streamed = await failureOf(
      (async () => {
        for await (const d of set.llm!.stream([{ role: 'user', content: 'x' }], {}, ctx)) void d;
      })(),
    );
    expect(streamed.message).toBe('The language model provider failed: the provider answered HTTP 200 with a body that is not an event stream.');
    // Not retried by the client: the status was 200 (ingestion retries the job instead).
    expect(fake.requests).toHaveLength(3);
    expect(usage.events).toHaveLength(0);
  });

  it('faults scoped to one API key leave other keys flowing', async () => {
    const providers = new ModelProviders({ settings: settings(fake.url) as Settings } as AppConfig, usage, metrics, new OneTenantKey());
    fake.fail({ kind: 'status', status: 500 }, Infinity, { apiKey: 'sk-tenant-own' });
    const err = await failureOf((await providers.forTenant('byo-tenant')).llm!.complete([{ role: 'user', content: 'mine' }], {}, ctx));
    expect(err.message).toBe('The language model provider failed: the provider returned HTTP 500 (after 3 attempts).');
    const ok = await (await providers.forTenant('tenant-a')).llm!.complete([{ role: 'user', content: 'hosted' }], {}, ctx);
    expect(ok.text).toContain('hosted');
    expect(fake.requests.map((r) => `${r.headers.authorization}:${r.fault ?? 'ok'}`)).toEqual([
      'Bearer sk-tenant-own:status',
      'Bearer sk-tenant-own:status',
      'Bearer sk-tenant-own:status',
      'Bearer sk-server:ok',
    ]);
  });

  it('extracts entities and relations as validated JSON', async () => {
    const out = await set.extraction.extract('Acme was founded in Paris.', ctx);
    expect(out.entities.map((e) => `${e.name}/${e.type}`)).toEqual(['Acme/organization', 'Paris/location']);
    expect(out.relations).toEqual([{ source: 'Acme', target: 'Paris', keywords: 'founded in', description: 'Acme was founded in Paris.', weight: 8 }]);
    expect(fake.requests[0].body.response_format).toEqual({ type: 'json_object' });
    expect(usage.events[0]).toEqual(expect.objectContaining({ kind: 'extraction' }));
  });

  it('retries extraction once with a corrective message after invalid JSON, then fails clearly', async () => {
    fake.fail({ kind: 'invalid_json' });
    const out = await set.extraction.extract('Acme was founded in Paris.', ctx);
    expect(out.entities).toHaveLength(2);
    expect(fake.requests).toHaveLength(2);
    const retryMessages = fake.requests[1].body.messages;
    expect(retryMessages[retryMessages.length - 2]).toEqual(expect.objectContaining({ role: 'assistant' }));
    expect(retryMessages[retryMessages.length - 1].content).toContain('not a valid JSON object');

    fake.reset();
    fake.fail({ kind: 'invalid_json' }, 2);
    const err = await failureOf(set.extraction.extract('Acme.', ctx));
    expect(err.message).toBe('The language model provider failed: the model did not return valid extraction JSON, even after a corrective retry.');
    expect(fake.requests).toHaveLength(2);
  });

  it('extracts query keywords', async () => {
    const k = await set.keywords.extractKeywords('Tell me about Acme in Paris', [], ctx);
    expect(k).toEqual({ highLevel: ['company history'], lowLevel: ['Acme', 'Paris'] });
    expect(usage.events[0]).toEqual(expect.objectContaining({ kind: 'keywords' }));
  });

  it('never has more than LLM_MAX_ASYNC requests in flight', async () => {
    fake.latencyMs = 60;
    await Promise.all([
      ...Array.from({ length: 6 }, (_, i) => set.llm!.complete([{ role: 'user', content: `q${i}` }], {}, ctx)),
      set.embedding.embed(['a', 'b'], ctx),
      (async () => {
        for await (const _ of set.llm!.stream([{ role: 'user', content: 'streamed' }], {}, ctx)) void _;
      })(),
    ]);
    expect(fake.requests).toHaveLength(8);
    expect(fake.maxInFlight).toBe(2);
  });

  it("uses a tenant's own key (byo_key) for LLM calls, the server key for embeddings", async () => {
    const providers = new ModelProviders({ settings: settings(fake.url) as Settings } as AppConfig, usage, metrics, new OneTenantKey());
    const own = await providers.forTenant('byo-tenant');
    const hosted = await providers.forTenant('tenant-a');
    expect(own.executionMode).toBe('byo_key');
    expect(hosted.executionMode).toBe('hosted');
    expect(own.embedding).toBe(hosted.embedding);
    await own.llm!.complete([{ role: 'user', content: 'mine' }], {}, { ...ctx, tenantId: 'byo-tenant' });
    await own.embedding.embed(['e'], { ...ctx, tenantId: 'byo-tenant' });
    expect(fake.requests[0].headers.authorization).toBe('Bearer sk-tenant-own');
    expect(fake.requests[1].headers.authorization).toBe('Bearer sk-server');
    expect(usage.events.map((e) => `${e.kind}:${e.executionMode}`)).toEqual(['answer:byo_key', 'embedding:hosted']);
  });

  it("a tenant's own key has LLM_MAX_ASYNC slots of its own: while its calls hang holding all of them, calls with the server key go through", async () => {
    const providers = new ModelProviders({ settings: settings(fake.url) as Settings } as AppConfig, usage, metrics, new OneTenantKey());
    fake.fail({ kind: 'hang' }, Infinity, { apiKey: 'sk-tenant-own' });
    const own = await providers.forTenant('byo-tenant');
    const settled: string[] = [];
    const hanging = [1, 2].map((i) =>
      own.llm!.complete([{ role: 'user', content: `mine ${i}` }], {}, ctx).then(
        () => settled.push('answered'),
        (e: AppException) => settled.push(e.code),
      ),
    );
    while (fake.hangingNow < 2) await new Promise((r) => setTimeout(r, 5));
    // Both of the key's slots are held (LLM_MAX_ASYNC 2 here); the server's are free.
    expect(providers.factory.byoSemaphore('sk-tenant-own').inFlight).toBe(2);
    expect(providers.factory.semaphore.inFlight).toBe(0);
    // Another set built with the same key shares its bound (one per key, not per set).
    expect((await providers.forTenant('byo-tenant')).llm).not.toBe(own.llm);
    expect(providers.factory.byoSemaphore('sk-tenant-own').inFlight).toBe(2);

    const hosted = await providers.forTenant('tenant-a');
    const [answer, vectors] = await Promise.all([hosted.llm!.complete([{ role: 'user', content: 'hosted flows' }], {}, ctx), hosted.embedding.embed(['e'], ctx)]);
    expect(answer.text).toContain('hosted flows');
    expect(vectors).toHaveLength(1);
    expect(settled).toEqual([]);
    await Promise.all(hanging);
    expect(settled).toEqual(['UPSTREAM_TIMEOUT', 'UPSTREAM_TIMEOUT']);
    expect(providers.factory.byoSemaphore('sk-tenant-own').inFlight).toBe(0);
  });

  /** Tenant `name`'s context; the content names the call so the fake server's log shows whose it was. */
  const callOf = (llm: NonNullable<ProviderSet['llm']>, tenant: string, n: number) =>
    llm.complete([{ role: 'user', content: `${tenant} call ${n}` }], {}, { ...ctx, tenantId: tenant });
  const order = () => fake.requests.map((r) => /"content":"([^"]+) call/.exec(JSON.stringify(r.body))?.[1]);

  it("tenants take the server key's slots in turn: tenant B's one call is sent in the second round of slots, not after tenant A's ten queued calls", async () => {
    fake.latencyMs = 40;
    const llm = new ModelFactory({ settings: settings(fake.url, { llmMaxConcurrency: 2, llmTenantConcurrency: 2 }), usage, metrics }).hostedSet().llm!;
    const a = Array.from({ length: 10 }, (_, i) => callOf(llm, 'tenant-a', i));
    const b = callOf(llm, 'tenant-b', 0);
    await Promise.all([...a, b]);
    // A's first two hold both slots; of the next two slots freed one goes to A (queued first) and one to B.
    // A FIFO semaphore sent B's call 11th.
    expect(order().slice(0, 2)).toEqual(['tenant-a', 'tenant-a']);
    expect(order().indexOf('tenant-b')).toBeLessThan(4);
    expect(order()).toHaveLength(11);
  });

  it("one tenant holds at most LLM_MAX_ASYNC_PER_TENANT of the server key's slots: with A's calls hanging, B's call is sent and answered at once", async () => {
    const factory = new ModelFactory({ settings: settings(fake.url, { llmMaxConcurrency: 3, llmTenantConcurrency: 2 }), usage, metrics });
    const llm = factory.hostedSet().llm!;
    fake.fail({ kind: 'hang' }, Infinity, { bodyIncludes: 'tenant-a call' });
    const hanging = Array.from({ length: 3 }, (_, i) => callOf(llm, 'tenant-a', i).catch((e: AppException) => e.code));
    while (fake.hangingNow < 2) await new Promise((r) => setTimeout(r, 5));
    expect(factory.semaphore.heldBy('tenant-a')).toBe(2);
    expect(factory.semaphore.waiting).toBe(1);
    // The third slot stays free for the other tenants while A's calls hang.
    const out = await callOf(llm, 'tenant-b', 0);
    expect(out.text).toContain('tenant-b call 0');
    expect(fake.hangingNow).toBe(2);
    expect(factory.semaphore.heldBy('tenant-a')).toBe(2);
    expect(await Promise.all(hanging)).toEqual(Array(3).fill('UPSTREAM_TIMEOUT'));
    expect(factory.semaphore.inFlight).toBe(0);
  });

  it('runs on local providers when nothing is configured', async () => {
    const local = new ModelProviders(
      {
        settings: settings(fake.url, { llmBinding: 'local', embeddingBinding: 'local', embeddingModel: 'local-lexical-hash', embeddingDim: 64, llmBindingHost: null }) as Settings,
      } as AppConfig,
      usage,
      metrics,
      { getKey: async () => null },
    );
    const s = await local.forTenant('tenant-a');
    expect(s.llm).toBeNull();
    expect(s.embedding.binding).toBe('local');
    expect((await s.embedding.embed(['hello'], ctx))[0]).toHaveLength(64);
    expect((await s.answerer.answer({ query: 'q', chunks: [], entities: [], relations: [] }, ctx)).text).toMatch(/Extractive answer/);
    expect(fake.requests).toHaveLength(0);
  });
});
