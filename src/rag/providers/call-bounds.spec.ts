import OpenAI from 'openai';
import { AppException } from '../../common/app-exception';
import { FakeOpenAiServer } from '../../../test/support/fake-openai-server';
import { CallBounds, MAX_RETRY_AFTER_MS, retryAfterMs } from './call-bounds';
import { FairSemaphore } from '../../common/fair-semaphore';
import { parseJsonObject, validateExtraction, validateKeywords } from './json-shapes';

describe('CallBounds with the openai client against a fake OpenAI server', () => {
  let fake: FakeOpenAiServer;
  beforeAll(async () => {
    fake = await new FakeOpenAiServer().start();
  });
  afterAll(() => fake.stop());
  beforeEach(() => {
    fake.reset();
    fake.latencyMs = 0;
  });

  const setup = (limit = 1, timeoutMs = 300) => {
    const bounds = new CallBounds(new FairSemaphore(limit), { timeoutMs });
    const client = new OpenAI({ apiKey: 'k', baseURL: fake.url, ...bounds.clientOptions });
    const chat = (content = 'hi') => bounds.run(() => client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content }] }));
    return { bounds, chat };
  };
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => null,
      (e: unknown) => e as AppException,
    );

  it("retries retryable failures (the client's own backoff) and returns the first success", async () => {
    fake.fail({ kind: 'status', status: 503 }, 2);
    const out = await setup().chat('again');
    expect(out.choices[0].message.content).toContain('again');
    expect(fake.requests).toHaveLength(3);
  });

  it('gives up after 3 attempts with UPSTREAM_ERROR (502) and a short reason', async () => {
    fake.fail({ kind: 'status', status: 500 }, 3);
    const err = await failure(setup().chat());
    expect(err).toBeInstanceOf(AppException);
    expect(err!.code).toBe('UPSTREAM_ERROR');
    expect(err!.status).toBe(502);
    expect(err!.message).toBe('The language model provider failed: the provider returned HTTP 500 (after 3 attempts).');
    expect(fake.requests).toHaveLength(3);
  });

  it('does not retry a 401, and times out every slow attempt', async () => {
    fake.fail({ kind: 'status', status: 401 });
    expect((await failure(setup().chat()))!.message).toContain('rejected the API key (HTTP 401)');
    expect(fake.requests).toHaveLength(1);
    fake.reset();
    fake.fail({ kind: 'delay', ms: 1000 }, 3);
    expect((await failure(setup(1, 100).chat()))!.message).toBe('The language model provider failed: the request timed out (after 3 attempts).');
    expect(fake.requests).toHaveLength(3);
  });

  it('waits the Retry-After a provider sends, and fails at once when it is longer than MAX_RETRY_AFTER_MS', async () => {
    fake.fail({ kind: 'status', status: 429, retryAfter: '1' });
    await setup().chat();
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1].at - fake.requests[0].at).toBeGreaterThanOrEqual(950);

    fake.reset();
    fake.fail({ kind: 'status', status: 429, retryAfter: String(MAX_RETRY_AFTER_MS / 1000 + 60) });
    const started = Date.now();
    const err = await failure(setup().chat());
    expect(err!.message).toMatch(/HTTP 429, Retry-After 90 s is longer than this server waits/);
    expect(fake.requests).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('never has more calls in flight than the semaphore allows', async () => {
    fake.latencyMs = 40;
    const { bounds, chat } = setup(2);
    await Promise.all(Array.from({ length: 6 }, (_, i) => chat(`q${i}`)));
    expect(fake.requests).toHaveLength(6);
    expect(fake.maxInFlight).toBe(2);
    expect(bounds.semaphore.inFlight).toBe(0);
  });

  it('reads retry-after-ms and Retry-After in seconds', () => {
    expect(retryAfterMs(new Headers({ 'retry-after': '2' }))).toBe(2000);
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '150' }))).toBe(150);
    expect(retryAfterMs(new Headers())).toBeNull();
  });
});

describe('JSON shapes', () => {
  it('parses fenced JSON and validates extraction, adding entities named only by relations', () => {
    const v = validateExtraction(
      parseJsonObject(
        '```json\n{"entities":[{"name":"Acme","type":"Organization","description":"A firm"},{"name":"acme","type":"organization","description":"Makes things"}],"relations":[{"source":"Acme","target":"Paris","keywords":["based in"],"description":"HQ","weight":"7"}]}\n```',
      ),
    );
    expect(v).toEqual({
      entities: [
        { name: 'Acme', type: 'organization', description: 'A firm Makes things' },
        { name: 'Paris', type: 'concept', description: '' },
      ],
      relations: [{ source: 'Acme', target: 'Paris', keywords: 'based in', description: 'HQ', weight: 7 }],
    });
    expect(validateExtraction(parseJsonObject('not json'))).toBeNull();
    expect(validateExtraction({ entities: 'x' })).toBeNull();
  });

  it('validates keywords JSON', () => {
    expect(validateKeywords({ high_level_keywords: ['a'], low_level_keywords: ['b', 3] })).toEqual({ highLevel: ['a'], lowLevel: ['b', '3'] });
    expect(validateKeywords({ high_level_keywords: 'a' })).toBeNull();
  });
});
