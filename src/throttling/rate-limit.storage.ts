import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';

export interface WindowRecord {
  totalHits: number;
  /** Seconds until the window resets. */
  timeToExpire: number;
  isBlocked: boolean;
  timeToBlockExpire: number;
}

/** Fixed-window counter: INCR, and PEXPIRE when the key is new (or lost its TTL). Atomic in Redis. */
const INCREMENT_LUA = `
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if hits == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {hits, ttl}
`;

/** Takes back one hit of a window (never below 0; a window that already ended stays gone). */
const REFUND_LUA = `
local hits = tonumber(redis.call('GET', KEYS[1]) or '0')
if hits > 0 then return redis.call('DECR', KEYS[1]) end
return 0
`;

/**
 * One slot of a concurrency cap: taken when below ARGV[1], refused otherwise.
 * The key expires after ARGV[2] ms (refreshed on each take), so slots of a
 * replica that died while holding them come back by themselves.
 */
const ACQUIRE_LUA = `
local n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if n > tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[1])
  return 0
end
return 1
`;

export const KEY_PREFIX = 'strata:rl:';

/**
 * The counters behind every rate limit: in memory by default, in Redis when
 * REDIS_URL is set so that every replica spends the same budget. A Redis
 * outage fails open (requests pass, a warning is logged): rate limiting
 * protects capacity, it must not take the API down with it.
 */
@Injectable()
export class RateLimitStorage implements ThrottlerStorage, OnModuleDestroy {
  private readonly logger = new Logger(RateLimitStorage.name);
  private readonly memory = new Map<string, { hits: number; expiresAt: number }>();
  private readonly redis: Redis | null;
  private sweeper?: NodeJS.Timeout;
  private lastWarning = 0;

  constructor(config: AppConfig) {
    const url = config.settings.redisUrl;
    this.redis = url ? new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 2000, lazyConnect: false }) : null;
    this.redis?.on('error', (err) => this.warn(err));
    if (!this.redis) {
      this.sweeper = setInterval(() => this.sweep(), 60_000);
      this.sweeper.unref();
    }
  }

  get backend(): 'memory' | 'redis' {
    return this.redis ? 'redis' : 'memory';
  }

  async onModuleDestroy(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    if (this.redis) await this.redis.quit().catch(() => this.redis?.disconnect());
  }

  /** ThrottlerStorage: one more hit in the window of `ttl` ms; blocked once past `limit`. */
  async increment(key: string, ttl: number, limit: number): Promise<WindowRecord> {
    const { hits, msLeft } = await this.hit(KEY_PREFIX + key, ttl);
    const seconds = Math.max(1, Math.ceil(msLeft / 1000));
    return { totalHits: hits, timeToExpire: seconds, isBlocked: hits > limit, timeToBlockExpire: seconds };
  }

  /** The current count of a window without adding to it. */
  async peek(key: string): Promise<{ hits: number; secondsLeft: number }> {
    const k = KEY_PREFIX + key;
    if (!this.redis) {
      const e = this.memory.get(k);
      if (!e || e.expiresAt <= Date.now()) return { hits: 0, secondsLeft: 0 };
      return { hits: e.hits, secondsLeft: Math.ceil((e.expiresAt - Date.now()) / 1000) };
    }
    try {
      const [[, hits], [, ttl]] = (await this.redis.multi().get(k).pttl(k).exec()) as [[unknown, string | null], [unknown, number]];
      return { hits: Number(hits ?? 0), secondsLeft: Math.max(0, Math.ceil(Number(ttl) / 1000)) };
    } catch (err) {
      this.warn(err);
      return { hits: 0, secondsLeft: 0 };
    }
  }

  /** Takes back one hit of the current window of `key` (e.g. a reserved attempt that turned out fine). */
  async refund(key: string): Promise<void> {
    const k = KEY_PREFIX + key;
    if (!this.redis) {
      const e = this.memory.get(k);
      if (e && e.expiresAt > Date.now() && e.hits > 0) e.hits--;
      return;
    }
    try {
      await this.redis.eval(REFUND_LUA, 1, k);
    } catch (err) {
      this.warn(err);
    }
  }

  /**
   * Takes one of `limit` concurrent slots under `key`; false when all are
   * taken. Every true must be followed by release(key). Slots held longer than
   * `ttlMs` are given back by themselves (a crashed holder cannot keep them).
   */
  async acquire(key: string, limit: number, ttlMs: number): Promise<boolean> {
    const k = KEY_PREFIX + key;
    if (!this.redis) {
      const now = Date.now();
      let e = this.memory.get(k);
      if (!e || e.expiresAt <= now) {
        e = { hits: 0, expiresAt: 0 };
        this.memory.set(k, e);
      }
      e.expiresAt = now + ttlMs;
      if (e.hits >= limit) return false;
      e.hits++;
      return true;
    }
    try {
      return Number(await this.redis.eval(ACQUIRE_LUA, 1, k, String(limit), String(ttlMs))) === 1;
    } catch (err) {
      this.warn(err);
      return true;
    }
  }

  /** Gives back a slot taken by acquire(). */
  release(key: string): Promise<void> {
    return this.refund(key);
  }

  private async hit(key: string, ttl: number): Promise<{ hits: number; msLeft: number }> {
    if (!this.redis) {
      const now = Date.now();
      let e = this.memory.get(key);
      if (!e || e.expiresAt <= now) {
        e = { hits: 0, expiresAt: now + ttl };
        this.memory.set(key, e);
      }
      e.hits++;
      return { hits: e.hits, msLeft: e.expiresAt - now };
    }
    try {
      const [hits, msLeft] = (await this.redis.eval(INCREMENT_LUA, 1, key, String(ttl))) as [number, number];
      return { hits: Number(hits), msLeft: Number(msLeft) };
    } catch (err) {
      this.warn(err);
      return { hits: 0, msLeft: ttl };
    }
  }

  private sweep(): void {
    const now = Date.now();
    for (const [k, e] of this.memory) if (e.expiresAt <= now) this.memory.delete(k);
  }

  private warn(err: unknown): void {
    if (Date.now() - this.lastWarning < 10_000) return;
    this.lastWarning = Date.now();
    this.logger.warn({ err: (err as Error)?.message }, 'rate-limit storage (Redis) unavailable: limits are not enforced until it is back');
  }
}
