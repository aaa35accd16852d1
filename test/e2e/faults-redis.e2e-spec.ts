import { ChildProcess, spawn } from 'node:child_process';
import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { rateLimitKeyPrefix, RateLimitStorage } from '../../src/throttling/rate-limit.storage';

const KEY_PREFIX = rateLimitKeyPrefix('strata:');
import type { Credentials } from '../support/http';
import { seedTenant, startTestApp, TestApp } from '../support/test-app';
import { freePort } from '../support/ports';

/**
 * Issue 12, "Redis killed and restarted under load": the app runs with
 * REDIS_URL on a redis-server of its own (a free port, no persistence), which
 * the test kills with SIGKILL and starts again on the same port.
 */
const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server';

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    for (let i = 0; i < 100; i++) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
      try {
        if (probe.status !== 'ready') await probe.connect();
        if ((await probe.ping()) === 'PONG') return child;
      } catch {
        probe.disconnect();
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    throw new Error(`redis-server on port ${port} did not answer`);
  } finally {
    probe.disconnect();
  }
}

async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

async function until(what: string, check: () => boolean, tries = 200): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const query = (t: TestApp, tenantId: string, kbId: string, key: Credentials) =>
  t.http.post(`/api/v1/tenants/${tenantId}/knowledge-bases/${kbId}/query`, { query: 'what is here?', mode: 'naive', only_need_context: true }, key);

describe('faults: Redis killed and restarted (issue 12)', () => {
  let port: number;
  let redis: ChildProcess;
  let probe: Redis;
  let t: TestApp;
  const warn = jest.spyOn(Logger.prototype, 'warn');
  const log = jest.spyOn(Logger.prototype, 'log');
  const storageLines = (spy: jest.SpyInstance) =>
    spy.mock.calls
      .filter((c) => c.some((a: unknown) => typeof a === 'string' && a.startsWith('rate-limit storage (Redis)')))
      .map((c) => c.find((a: unknown) => typeof a === 'string'));

  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port);
    probe = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1, retryStrategy: () => 100 });
    probe.on('error', () => undefined); // it reconnects by itself once redis-server is back
    t = await startTestApp({ env: { REDIS_URL: `redis://127.0.0.1:${port}` } });
  });
  afterAll(async () => {
    await t?.close();
    probe?.disconnect();
    if (redis) await kill9(redis);
    warn.mockRestore();
    log.mockRestore();
  });

  it('a 5/min tenant: counted in Redis; Redis SIGKILLed → every request still answered, 5 pass and the rest 429 (per-replica memory counters, one warning); Redis back → counted in Redis again (one info line)', async () => {
    const storage = t.app.get(RateLimitStorage);
    expect(storage.mode).toBe('redis');
    const a = await seedTenant(t, 'Redis Fault');
    expect((await t.http.patch(`/api/v1/tenants/${a.tenantId}`, { limits: { queries_per_minute: 5 } }, t.admin)).status).toBe(200);
    const counter = `${KEY_PREFIX}query:${a.tenantId}`;

    // Redis up: two queries are counted there.
    expect((await query(t, a.tenantId, a.kbIds[0], a.key)).status).toBe(200);
    expect((await query(t, a.tenantId, a.kbIds[0], a.key)).status).toBe(200);
    expect(await probe.get(counter)).toBe('2');
    expect(storageLines(warn)).toEqual([]);

    // Redis killed under load: 12 queries at once, then 4 more one by one.
    await kill9(redis);
    const burst = await Promise.all(Array.from({ length: 12 }, () => query(t, a.tenantId, a.kbIds[0], a.key)));
    const after = [];
    for (let i = 0; i < 4; i++) after.push(await query(t, a.tenantId, a.kbIds[0], a.key));
    const statuses = [...burst, ...after].map((r) => r.status);
    // Each request was answered (none waited for a reconnect); this replica alone allows the full budget of 5, never more.
    expect(statuses).toHaveLength(16);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(11);
    for (const r of [...burst, ...after].filter((x) => x.status === 429)) {
      expect(r.body.error.code).toBe('RATE_LIMITED');
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(after.every((r) => r.status === 429)).toBe(true);
    expect(storage.mode).toBe('degraded');
    // Other budgets keep working (CRUD is 20 × 5 per minute, counted in memory too).
    expect((await t.http.get(`/api/v1/tenants/${a.tenantId}/knowledge-bases`, a.key)).status).toBe(200);
    // The switch is logged once, however many requests fell back.
    expect(storageLines(warn)).toEqual([expect.stringContaining('counting per replica in memory')]);

    // Redis restarted on the same port (empty: no persistence). The memory window of this tenant is spent (5/5),
    // so 5 more 200s can only come from the fresh Redis counter.
    redis = await startRedis(port);
    await until('the rate-limit storage to reconnect', () => storage.mode === 'redis');
    expect(storageLines(log)).toEqual([expect.stringContaining('is back: counting in Redis again')]);
    const back = [];
    for (let i = 0; i < 6; i++) back.push((await query(t, a.tenantId, a.kbIds[0], a.key)).status);
    expect(back).toEqual([200, 200, 200, 200, 200, 429]);
    await until('the probe to reconnect', () => probe.status === 'ready');
    expect(await probe.get(counter)).toBe('6');
    expect(Number(await probe.pttl(counter))).toBeGreaterThan(0);
    expect(storageLines(warn)).toHaveLength(1);
  });

  it('Redis unreachable at start: the app starts degraded (memory counters, limits enforced), then switches to Redis when it appears', async () => {
    const lonePort = await freePort();
    const u = await startTestApp({ env: { REDIS_URL: `redis://127.0.0.1:${lonePort}` } });
    let late: ChildProcess | null = null;
    try {
      const storage = u.app.get(RateLimitStorage);
      expect(storage.mode).toBe('degraded');
      const a = await seedTenant(u, 'Redis Absent');
      expect((await u.http.patch(`/api/v1/tenants/${a.tenantId}`, { limits: { queries_per_minute: 2 } }, u.admin)).status).toBe(200);
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await query(u, a.tenantId, a.kbIds[0], a.key)).status);
      expect(statuses).toEqual([200, 200, 429]);

      late = await startRedis(lonePort);
      await until('the rate-limit storage to connect', () => storage.mode === 'redis');
      expect((await query(u, a.tenantId, a.kbIds[0], a.key)).status).toBe(200);
      const lateProbe = new Redis({ port: lonePort, host: '127.0.0.1' });
      try {
        expect(await lateProbe.get(`${KEY_PREFIX}query:${a.tenantId}`)).toBe('1');
      } finally {
        lateProbe.disconnect();
      }
    } finally {
      await u.close();
      if (late) await kill9(late);
    }
  });
});
