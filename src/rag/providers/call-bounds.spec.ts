import OpenAI from 'openai';
import { AppException } from '../../common/app-exception';
import { CallBounds, Semaphore, classifyFailure } from './call-bounds';
import { parseJsonObject, validateExtraction, validateKeywords } from './json-shapes';

const apiError = (status: number, headers: Record<string, string> = {}) =>
  OpenAI.APIError.generate(status, { error: { message: 'x' } }, 'x', new Headers(headers));

describe('Semaphore', () => {
  it('never lets more than `limit` run at once', async () => {
    const s = new Semaphore(2);
    let active = 0;
    let max = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        s.run(async () => {
          active++;
          max = Math.max(max, active);
          await new Promise((r) => setTimeout(r, 5));
          active--;
        }),
      ),
    );
    expect(max).toBe(2);
    expect(s.inFlight).toBe(0);
  });
});

describe('CallBounds', () => {
  const bounds = () => new CallBounds(new Semaphore(1), { timeoutMs: 50, baseDelayMs: 1 });

  it('retries retryable failures and returns the first success', async () => {
    let calls = 0;
    const out = await bounds().run(async () => {
      calls++;
      if (calls < 3) throw apiError(503);
      return 'ok';
    });
    expect(out).toBe('ok');
    expect(calls).toBe(3);
  });

  it('gives up after 3 attempts with UPSTREAM_ERROR (502) and a short reason', async () => {
    let calls = 0;
    const err = await bounds()
      .run(async () => {
        calls++;
        throw apiError(500);
      })
      .catch((e: AppException) => e);
    expect(calls).toBe(3);
    expect(err).toBeInstanceOf(AppException);
    expect((err as AppException).code).toBe('UPSTREAM_ERROR');
    expect((err as AppException).status).toBe(502);
    expect((err as AppException).message).toBe('The language model provider failed: the provider returned HTTP 500 (after 3 attempts).');
  });

  it('does not retry a 401 and times out slow attempts', async () => {
    let calls = 0;
    await expect(
      bounds().run(async () => {
        calls++;
        throw apiError(401);
      }),
    ).rejects.toThrow('rejected the API key');
    expect(calls).toBe(1);
    let aborted = 0;
    await expect(
      bounds().run(
        (signal) =>
          new Promise((resolve) => {
            signal.addEventListener('abort', () => aborted++);
            setTimeout(resolve, 500);
          }),
      ),
    ).rejects.toThrow('the request timed out (after 3 attempts)');
    expect(aborted).toBe(3);
  });

  it('reads Retry-After (seconds, or retry-after-ms) and caps it', () => {
    expect(classifyFailure(apiError(429, { 'retry-after': '2' })).retryAfterMs).toBe(2000);
    expect(classifyFailure(apiError(429, { 'retry-after-ms': '150' })).retryAfterMs).toBe(150);
    const b = new CallBounds(new Semaphore(1), { timeoutMs: 50, maxRetryAfterMs: 1000 });
    expect(b.backoff(1, 5000)).toBe(1000);
    const d = b.backoff(2, null);
    expect(d).toBeGreaterThanOrEqual(500);
    expect(d).toBeLessThanOrEqual(1000);
  });
});

describe('JSON shapes', () => {
  it('parses fenced JSON and validates extraction, adding entities named only by relations', () => {
    const v = validateExtraction(
      parseJsonObject('```json\n{"entities":[{"name":"Acme","type":"Organization","description":"A firm"},{"name":"acme","type":"organization","description":"Makes things"}],"relations":[{"source":"Acme","target":"Paris","keywords":["based in"],"description":"HQ","weight":"7"}]}\n```'),
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
