import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import type { AppConfig } from '../../src/config/app-config';
import { RateLimitStorage } from '../../src/throttling/rate-limit.storage';

/**
 * Concurrency slots in Redis (the login caps: 4 logins checked at once per
 * IP and per username) when a take times out on the client but runs on the
 * server. `CLIENT PAUSE … WRITE` holds the take's script past the 500 ms
 * command timeout, then Redis runs it: the caller has already been answered
 * from memory, so the slot the script took in Redis must be given back. With
 * a counter (INCR/DECR) it was kept until the key expired, renewed by every
 * later take: a CI run under load saw an uninvolved address's right-password
 * logins refused 429 after a burst of wrong ones.
 */
describe('rate-limit storage: concurrency slots in Redis', () => {
  const url = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = `strata-test-${randomBytes(4).toString('hex')}:`;
  let storage: RateLimitStorage;
  let admin: Redis;
  const holders = (key: string) => admin.zcard(`${prefix}rl:${key}`);

  beforeAll(async () => {
    admin = new Redis(url);
    storage = new RateLimitStorage({ settings: { redisUrl: url, redisKeyPrefix: prefix } } as unknown as AppConfig);
    await storage.onModuleInit();
    expect(storage.mode).toBe('redis');
  });
  afterAll(async () => {
    await storage?.onModuleDestroy();
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length) await admin.del(...keys);
    await admin.quit();
  });

  it('takes at most `limit` slots, and a release gives one back', async () => {
    const a = await storage.acquire('cap', 2, 30_000);
    const b = await storage.acquire('cap', 2, 30_000);
    expect(a).not.toBeNull();
    expect(b).not.toBeNull();
    expect(await storage.acquire('cap', 2, 30_000)).toBeNull();
    expect(await holders('cap')).toBe(2);
    await a!();
    await a!(); // a second call does nothing
    expect(await holders('cap')).toBe(1);
    const c = await storage.acquire('cap', 2, 30_000);
    expect(c).not.toBeNull();
    await b!();
    await c!();
    expect(await holders('cap')).toBe(0);
  });

  it('a slot lapses after its ttl (a holder that died gives it back)', async () => {
    expect(await storage.acquire('lapse', 1, 150)).not.toBeNull();
    expect(await storage.acquire('lapse', 1, 150)).toBeNull();
    await new Promise((r) => setTimeout(r, 250));
    const again = await storage.acquire('lapse', 1, 150);
    expect(again).not.toBeNull();
    await again!();
  });

  it('a take that times out but runs later in Redis leaves no slot behind', async () => {
    await admin.call('CLIENT', 'PAUSE', '900', 'WRITE');
    // Answered from memory after the 500 ms command timeout; Redis runs the script when the pause ends.
    const late = await storage.acquire('paused', 1, 30_000);
    expect(late).not.toBeNull();
    expect(storage.mode).toBe('degraded');
    await late!();
    await new Promise((r) => setTimeout(r, 700)); // the pause is over: the script ran, then the take-back
    expect(await holders('paused')).toBe(0);
    const next = await storage.acquire('paused', 1, 30_000);
    expect(next).not.toBeNull();
    expect(storage.mode).toBe('redis');
    expect(await holders('paused')).toBe(1);
    await next!();
    expect(await holders('paused')).toBe(0);
  });
});
