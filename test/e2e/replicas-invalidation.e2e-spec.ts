import { ChildProcess, spawn } from 'node:child_process';
import { request } from 'node:http';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { freshDatabase, TestDatabase } from '../support/test-db';
import { createKey, seedTenant, startTestApp, TestApp } from '../support/test-app';
import { freePort } from '../support/ports';

/**
 * Two replicas of Strata on one PostgreSQL server, as an operator runs them:
 * a security-relevant change made through one replica must be refused by the
 * other well before its caches' 5 s TTL — through PostgreSQL LISTEN/NOTIFY
 * when there is no Redis, and through Redis pub/sub with REDIS_URL. When the
 * link is down, the replica says so in /health/ready and the TTL still bounds
 * what it serves (never fails open); when the link is back, it resyncs.
 * A real server only: two processes cannot share an embedded PGlite.
 */
const onServer = process.env.TEST_DATABASE_URL ? describe : describe.skip;
const TRIALS = 20;
const PASSWORD = 'replica-password-123';

const kbs = (tenantId: string) => `/api/v1/tenants/${tenantId}/knowledge-bases`;

/**
 * GET `path` with an API key from a given loopback address, as a distinct
 * client: the refusals a test provokes count against that address's budget of
 * failed authentications (20 a minute, shared by the replicas through Redis),
 * not against the one the rest of the suite uses.
 */
function statusFrom(from: string, baseUrl: string, path: string, key: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(baseUrl + path, { localAddress: from, headers: { 'x-api-key': key } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Polls `check` every 5 ms until true; the ms it took (fails past `limitMs`). */
async function msUntil(check: () => Promise<boolean>, limitMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await check()) return performance.now() - started;
    if (performance.now() - started > limitMs) throw new Error(`not refused within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function p95(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.95 * s.length) - 1)];
}

async function startRedis(port: number): Promise<ChildProcess> {
  const p = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (up) return p;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('redis-server did not start');
}

async function stopRedis(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGKILL');
  await exited;
}

async function readiness(t: TestApp): Promise<string> {
  return (await t.http.get('/health/ready')).body.data?.invalidation;
}

async function rateLimits(t: TestApp): Promise<string> {
  return (await t.http.get('/health/ready')).body.data?.rate_limits;
}

async function until(check: () => Promise<boolean>, limitMs: number, what: string): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > limitMs) throw new Error(`${what}: not within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

onServer.each([
  ['PostgreSQL LISTEN/NOTIFY', 'postgres', {}],
  ['Redis pub/sub', 'redis', { REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379' }],
] as const)('two replicas, changes through %s', (_name, transport, extra) => {
  let database: TestDatabase;
  let one: TestApp;
  let two: TestApp;

  beforeAll(async () => {
    database = await freshDatabase();
    const env = { ...extra, REDIS_KEY_PREFIX: `strata-test-${randomUUID().slice(0, 8)}:` };
    one = await startTestApp({ database, env });
    two = await startTestApp({ database, env });
    await until(async () => (await readiness(one)) === transport && (await readiness(two)) === transport, 10_000, 'both replicas linked');
  }, 60_000);
  afterAll(async () => {
    await one?.close();
    await two?.close();
    await database?.drop();
  });

  it(`says ${transport} in /health/ready on both replicas`, async () => {
    expect(await readiness(one)).toBe(transport);
    expect(await readiness(two)).toBe(transport);
  });

  it(`a key revoked on one replica is refused by the other within 1 s (${TRIALS} trials, max and p95 reported)`, async () => {
    const a = await seedTenant(one, `Revocations ${randomUUID().slice(0, 6)}`);
    const times: number[] = [];
    for (let i = 0; i < TRIALS; i++) {
      // Each replica revokes in turn; each trial's client has its own address.
      const [writer, reader] = i % 2 === 0 ? [one, two] : [two, one];
      const k = await createKey(writer, a.tenantId, ['*'], ['kb:read']);
      const from = `127.0.0.${10 + i}`;
      expect(await statusFrom(from, reader.url, kbs(a.tenantId), k.key!)).toBe(200); // now in the reader's cache
      expect((await writer.http.delete(`/api/v1/tenants/${a.tenantId}/api-keys/${k.keyId}`, a.key)).status).toBe(200);
      times.push(await msUntil(async () => (await statusFrom(from, reader.url, kbs(a.tenantId), k.key!)) === 401, 1000));
    }
    process.stdout.write(
      `replicas (${transport}): revoked key refused by the other replica after max ${Math.max(...times).toFixed(1)} ms, p95 ${p95(times).toFixed(1)} ms over ${TRIALS} trials\n`,
    );
    expect(times).toHaveLength(TRIALS);
  });

  it('a tenant suspended on one replica is refused by the other within 1 s, and restored within 1 s', async () => {
    const a = await seedTenant(one, `Suspension ${randomUUID().slice(0, 6)}`);
    expect((await two.http.get(kbs(a.tenantId), a.key)).status).toBe(200);
    expect((await one.http.patch(`/api/v1/tenants/${a.tenantId}`, { is_active: false }, one.admin)).status).toBe(200);
    await msUntil(async () => (await two.http.get(kbs(a.tenantId), a.key)).status === 403, 1000);
    expect((await one.http.patch(`/api/v1/tenants/${a.tenantId}`, { is_active: true }, one.admin)).status).toBe(200);
    await msUntil(async () => (await two.http.get(kbs(a.tenantId), a.key)).status === 200, 1000);
  });

  it('a user disabled on one replica is refused by the other within 1 s', async () => {
    const a = await seedTenant(one, `Users ${randomUUID().slice(0, 6)}`);
    const username = `viewer-${randomUUID().slice(0, 8)}`;
    const created = await one.http.post(`/api/v1/tenants/${a.tenantId}/users`, { username, password: PASSWORD, role: 'viewer' }, one.admin);
    expect(created.status).toBe(201);
    const token = (await two.http.post('/api/v1/auth/login', { username, password: PASSWORD })).body.data.access_token;
    expect((await two.http.get(kbs(a.tenantId), { token })).status).toBe(200);
    expect((await one.http.patch(`/api/v1/tenants/${a.tenantId}/users/${created.body.data.user_id}`, { is_active: false }, one.admin)).status).toBe(200);
    await msUntil(async () => (await two.http.get(kbs(a.tenantId), { token })).status === 401, 1000);
  });

  it("a tenant's rate limit lowered on one replica is enforced by the other within 1 s", async () => {
    const a = await seedTenant(one, `Limits ${randomUUID().slice(0, 6)}`);
    const query = () => two.http.post(`${kbs(a.tenantId)}/${a.kbIds[0]}/query`, { query: 'anything?', mode: 'naive' }, a.key);
    expect((await query()).status).toBe(200); // limits now cached by replica two
    expect((await one.http.patch(`/api/v1/tenants/${a.tenantId}`, { limits: { queries_per_minute: 1 } }, one.admin)).status).toBe(200);
    await msUntil(async () => (await query()).status === 429, 1000);
  });

  it('a KB deleted on one replica is gone on the other within 1 s', async () => {
    const a = await seedTenant(one, `Kbs ${randomUUID().slice(0, 6)}`, ['doomed']);
    const path = `${kbs(a.tenantId)}/${a.kbIds[0]}/query`;
    expect((await two.http.post(path, { query: 'anything?', mode: 'naive' }, a.key)).status).toBe(200); // its RAG instance is cached on two
    expect((await one.http.delete(`${kbs(a.tenantId)}/${a.kbIds[0]}`, a.key)).status).toBe(200);
    await msUntil(async () => (await two.http.post(path, { query: 'anything?', mode: 'naive' }, a.key)).status === 404, 1000);
  });
});

onServer('replicas when Redis goes down: degraded, never open, resync when it is back', () => {
  let database: TestDatabase;
  let redis: ChildProcess;
  let port: number;
  let one: TestApp;
  let two: TestApp;

  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port);
    database = await freshDatabase();
    const env = { REDIS_URL: `redis://127.0.0.1:${port}` };
    one = await startTestApp({ database, env });
    two = await startTestApp({ database, env });
    await until(async () => (await readiness(one)) === 'redis' && (await readiness(two)) === 'redis', 10_000, 'both replicas linked');
  }, 60_000);
  afterAll(async () => {
    await one?.close();
    await two?.close();
    await database?.drop();
    if (redis) await stopRedis(redis);
  });

  it('while Redis is down /health/ready says degraded (invalidation and rate limits) and a revoked key still stops on the other replica when its 5 s cache entry expires (never open); back up, it says redis again', async () => {
    const a = await seedTenant(one, `Outage ${randomUUID().slice(0, 6)}`);
    const k = await createKey(one, a.tenantId, ['*'], ['kb:read']);
    expect((await two.http.get(kbs(a.tenantId), k)).status).toBe(200);
    await stopRedis(redis);
    await until(async () => (await readiness(one)) === 'degraded' && (await readiness(two)) === 'degraded', 10_000, 'degraded reported');
    await until(async () => (await rateLimits(two)) === 'degraded', 10_000, 'rate limits degraded reported');
    expect((await one.http.delete(`/api/v1/tenants/${a.tenantId}/api-keys/${k.keyId}`, a.key)).status).toBe(200);
    const ms = await msUntil(async () => (await statusFrom('127.0.0.40', two.url, kbs(a.tenantId), k.key!)) === 401, 6000);
    process.stdout.write(`replicas (Redis down): revoked key refused by the other replica after ${ms.toFixed(0)} ms (cache TTL 5 s)\n`);

    redis = await startRedis(port);
    await until(async () => (await readiness(one)) === 'redis' && (await readiness(two)) === 'redis', 15_000, 'link back');
    await until(async () => (await rateLimits(two)) === 'redis', 15_000, 'rate limits back in Redis');
    // Linked again: a revocation reaches the other replica at once.
    const k2 = await createKey(one, a.tenantId, ['*'], ['kb:read']);
    expect((await two.http.get(kbs(a.tenantId), k2)).status).toBe(200);
    expect((await one.http.delete(`/api/v1/tenants/${a.tenantId}/api-keys/${k2.keyId}`, a.key)).status).toBe(200);
    await msUntil(async () => (await statusFrom('127.0.0.41', two.url, kbs(a.tenantId), k2.key!)) === 401, 1000);
  }, 60_000);
});
