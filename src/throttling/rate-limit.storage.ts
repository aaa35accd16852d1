import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
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
  /** Concurrency slots taken from memory (while degraded): released there, whatever the mode by then. */
  private readonly heldInMemory = new Map<string, number>();
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
   * Takes one of `limit` concurrent slots under `key`; false when all are
   * taken. Every true must be followed by release(key). Slots held longer than
   * `ttlMs` are given back by themselves (a crashed holder cannot keep them).
   */
  acquire(key: string, limit: number, ttlMs: number): Promise<boolean> {
    const k = this.prefix + key;
    return this.either(
      async (redis) => Number(await redis.eval(ACQUIRE_LUA, 1, k, String(limit), String(ttlMs))) === 1,
      () => {
        const taken = this.memory.acquire(k, limit, ttlMs);
        if (taken && this.redis) this.heldInMemory.set(k, (this.heldInMemory.get(k) ?? 0) + 1);
        return taken;
      },
    );
  }

  /** Gives back a slot taken by acquire(), where it was taken. */
  async release(key: string): Promise<void> {
    const k = this.prefix + key;
    const held = this.heldInMemory.get(k);
    if (held) {
      if (held === 1) this.heldInMemory.delete(k);
      else this.heldInMemory.set(k, held - 1);
      this.memory.refund(k);
      return;
    }
    await this.refund(key);
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
