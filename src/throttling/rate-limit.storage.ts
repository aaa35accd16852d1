import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { randomUUID } from 'node:crypto';
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
 * One slot of a concurrency cap, held by a token (ARGV[3]) in a sorted set
 * scored by when it lapses: taken when fewer than ARGV[1] unlapsed holders
 * remain, refused otherwise. A slot lapses ARGV[2] ms after it was taken, so
 * slots of a replica that died while holding them come back by themselves;
 * the set itself expires with its newest slot. Released by ZREM of the token,
 * which is also safe to send after an acquire whose answer never arrived
 * (a timed-out command may still have run): it takes back exactly that slot,
 * or nothing. (A counter, INCR/DECR, could not tell: a timed-out take that had
 * run kept its slot until the key expired, and every later take renewed it.)
 */
const ACQUIRE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

/** Gives back a concurrency slot taken by RateLimitStorage.acquire (once; later calls do nothing). */
export type SlotRelease = () => Promise<void>;

/** Where a deployment's counters live in Redis: under its REDIS_KEY_PREFIX (default `strata:` → `strata:rl:…`). */
export function rateLimitKeyPrefix(redisKeyPrefix: string): string {
  return `${redisKeyPrefix}rl:`;
}

/** A Redis command that takes longer than this is abandoned and answered from memory. */
export const REDIS_COMMAND_TIMEOUT_MS = 500;

/**
 * Fixed-window counters and concurrency slots of this process: the whole
 * storage without REDIS_URL, and the fallback while Redis is unreachable.
 */
export class MemoryCounters {
  private readonly entries = new Map<string, { hits: number; expiresAt: number }>();

  hit(key: string, ttl: number): { hits: number; msLeft: number } {
    const now = Date.now();
    let e = this.entries.get(key);
    if (!e || e.expiresAt <= now) {
      e = { hits: 0, expiresAt: now + ttl };
      this.entries.set(key, e);
    }
    e.hits++;
    return { hits: e.hits, msLeft: e.expiresAt - now };
  }

  peek(key: string): { hits: number; secondsLeft: number } {
    const e = this.entries.get(key);
    if (!e || e.expiresAt <= Date.now()) return { hits: 0, secondsLeft: 0 };
    return { hits: e.hits, secondsLeft: Math.ceil((e.expiresAt - Date.now()) / 1000) };
  }

  refund(key: string): void {
    const e = this.entries.get(key);
    if (e && e.expiresAt > Date.now() && e.hits > 0) e.hits--;
  }

  acquire(key: string, limit: number, ttlMs: number): boolean {
    const now = Date.now();
    let e = this.entries.get(key);
    if (!e || e.expiresAt <= now) {
      e = { hits: 0, expiresAt: 0 };
      this.entries.set(key, e);
    }
    e.expiresAt = now + ttlMs;
    if (e.hits >= limit) return false;
    e.hits++;
    return true;
  }

  sweep(): void {
    const now = Date.now();
    for (const [k, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(k);
  }
}

/** Where the counters are right now: this process only (no REDIS_URL), Redis, or this process while Redis is unreachable. */
export type RateLimitMode = 'memory' | 'redis' | 'degraded';

/**
 * The counters behind every rate limit: in memory by default, in Redis when
 * REDIS_URL is set so that every replica spends the same budget. When Redis
 * is unreachable (or a command fails or takes longer than
 * REDIS_COMMAND_TIMEOUT_MS) the same call is answered from this replica's
 * MemoryCounters: limits stay enforced, per replica (each replica then
 * allows up to the full budget), never unlimited. Commands are not queued
 * while Redis is offline, so no request waits for a reconnect. The switch is
 * logged once (warn) and so is the return (info: on reconnect, or on the
 * first Redis command that succeeds again); `mode` tells which holds.
 */
@Injectable()
export class RateLimitStorage implements ThrottlerStorage, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(RateLimitStorage.name);
  private readonly memory = new MemoryCounters();
  private readonly redis: Redis | null;
  private readonly sweeper: NodeJS.Timeout;
  private degraded = false;
  private closing = false;
  private readonly prefix: string;

  constructor(config: AppConfig) {
    this.prefix = rateLimitKeyPrefix(config.settings.redisKeyPrefix);
    const url = config.settings.redisUrl;
    this.redis = url
      ? new Redis(url, {
          enableOfflineQueue: false,
          commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
          maxRetriesPerRequest: 0,
          connectTimeout: 2000,
          lazyConnect: false,
        })
      : null;
    this.redis?.on('error', (err) => this.degrade(err));
    this.redis?.on('close', () => this.degrade(new Error('connection closed')));
    this.redis?.on('ready', () => this.recover());
    // Memory counters are used without Redis and while it is down: expired windows are dropped.
    this.sweeper = setInterval(() => this.memory.sweep(), 60_000);
    this.sweeper.unref();
  }

  /** 'memory' without REDIS_URL; 'redis' while Redis answers; 'degraded' while it does not (per-replica counters). */
  get mode(): RateLimitMode {
    if (!this.redis) return 'memory';
    return this.degraded ? 'degraded' : 'redis';
  }

  /** Waits (at most the connect timeout) for the first connection, so a normal start does not begin degraded. */
  async onModuleInit(): Promise<void> {
    const redis = this.redis;
    if (!redis || redis.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        redis.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, 2500);
      timer.unref();
      redis.once('ready', done);
    });
    if ((redis.status as string) !== 'ready') this.degrade(new Error(`not connected after 2.5 s (${redis.status})`));
  }

  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    clearInterval(this.sweeper);
    if (this.redis) await this.redis.quit().catch(() => this.redis?.disconnect());
  }

  /** ThrottlerStorage: one more hit in the window of `ttl` ms; blocked once past `limit`. */
  async increment(key: string, ttl: number, limit: number): Promise<WindowRecord> {
    const k = this.prefix + key;
    const { hits, msLeft } = await this.either(
      async (redis) => {
        const [h, left] = (await redis.eval(INCREMENT_LUA, 1, k, String(ttl))) as [number, number];
        return { hits: Number(h), msLeft: Number(left) };
      },
      () => this.memory.hit(k, ttl),
    );
    const seconds = Math.max(1, Math.ceil(msLeft / 1000));
    return { totalHits: hits, timeToExpire: seconds, isBlocked: hits > limit, timeToBlockExpire: seconds };
  }

  /** The current count of a window without adding to it. */
  peek(key: string): Promise<{ hits: number; secondsLeft: number }> {
    const k = this.prefix + key;
    return this.either(
      async (redis) => {
        const [[, hits], [, ttl]] = (await redis.multi().get(k).pttl(k).exec()) as [[unknown, string | null], [unknown, number]];
        return { hits: Number(hits ?? 0), secondsLeft: Math.max(0, Math.ceil(Number(ttl) / 1000)) };
      },
      () => this.memory.peek(k),
    );
  }

  /** Takes back one hit of the current window of `key` (e.g. a reserved attempt that turned out fine). */
  async refund(key: string): Promise<void> {
    const k = this.prefix + key;
    await this.either(
      async (redis) => void (await redis.eval(REFUND_LUA, 1, k)),
      () => this.memory.refund(k),
    );
  }

  /**
   * Takes one of `limit` concurrent slots under `key`: its release, or null
   * when all are taken. Every slot taken must be released. Slots held longer
   * than `ttlMs` are given back by themselves (a crashed holder cannot keep
   * them). A slot is released where it was taken (Redis or this replica's
   * memory), whatever the mode by then.
   */
  async acquire(key: string, limit: number, ttlMs: number): Promise<SlotRelease | null> {
    const k = this.prefix + key;
    const token = randomUUID();
    let where: 'redis' | 'memory' = 'memory';
    const taken = await this.either(
      async (redis) => {
        try {
          const ok = Number(await redis.eval(ACQUIRE_LUA, 1, k, String(limit), String(ttlMs), token)) === 1;
          where = 'redis';
          return ok;
        } catch (err) {
          // The script may have run although its answer did not come in time: take that slot back
          // (sent after it on the same connection; a no-op if it did not run, and it lapses anyway).
          redis.zrem(k, token).catch(() => undefined);
          throw err;
        }
      },
      () => this.memory.acquire(k, limit, ttlMs),
    );
    if (!taken) return null;
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      if (where === 'memory') return this.memory.refund(k);
      const redis = this.redis;
      // A ZREM that fails or times out leaves the slot to lapse after ttlMs.
      if (redis?.status === 'ready') await redis.zrem(k, token).catch((err) => this.degrade(err));
    };
  }

  /**
   * The one dispatch: memory without Redis; Redis otherwise, answered from
   * memory when the Redis command fails (connection down, not yet
   * reconnected, timed out, refused). Memory is also used without trying
   * Redis while the client is not connected (it would refuse at once anyway).
   */
  private async either<T>(inRedis: (redis: Redis) => Promise<T>, inMemory: () => T): Promise<T> {
    const redis = this.redis;
    if (!redis) return inMemory();
    if (redis.status !== 'ready') {
      this.degrade(new Error(`not connected (${redis.status})`));
      return inMemory();
    }
    try {
      const out = await inRedis(redis);
      if (this.degraded) this.recover();
      return out;
    } catch (err) {
      this.degrade(err);
      return inMemory();
    }
  }

  private degrade(err: unknown): void {
    if (this.degraded || this.closing || !this.redis) return;
    this.degraded = true;
    this.logger.warn(
      { err: (err as Error)?.message ?? String(err) },
      'rate-limit storage (Redis) unavailable: counting per replica in memory until it is back (each replica allows the full budget)',
    );
  }

  private recover(): void {
    if (!this.degraded || this.closing) return;
    this.degraded = false;
    this.logger.log('rate-limit storage (Redis) is back: counting in Redis again, shared by every replica');
  }
}
