import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshDatabase, TestDatabase } from '../support/test-db';
import { Http } from '../support/http';
import { freePort } from '../support/ports';

/**
 * The built server as a user runs it (`node dist/src/main.js`, what `npm start`
 * runs after building): becomes ready, SIGTERM closes cleanly, data survive
 * a restart. Needs `npm run build` first (npm test does it). The start-up
 * time is a README figure, not asserted: the deadline below only bounds a
 * hung start on a busy shared machine.
 */
const READY_DEADLINE_MS = 120_000;
const children = new Set<ChildProcess>();
const MAIN = join(__dirname, '..', '..', 'dist', 'src', 'main.js');

function start(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  let out = '';
  const child = spawn(process.execPath, [MAIN], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  child.stdout!.on('data', (d) => (out += d.toString()));
  child.stderr!.on('data', (d) => (out += d.toString()));
  return { child, output: () => out };
}

/** Waits for /health/ready; a server that exited instead fails at once, with what it printed. */
async function waitReady(http: Http, deadlineMs: number, server?: { child: ChildProcess; output: () => string }): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < deadlineMs) {
    if (server && server.child.exitCode !== null) throw new Error(`the server exited (${server.child.exitCode}) before it was ready:\n${server.output().slice(-3000)}`);
    try {
      const r = await http.get('/health/ready');
      if (r.status === 200) return Date.now() - t0;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server not ready in time${server ? `:\n${server.output().slice(-3000)}` : ''}`);
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('the built server process', () => {
  let dir: string;
  let database: TestDatabase | null = null;
  let env: Record<string, string>;
  let port: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'strata-proc-'));
    port = String(await freePort());
    database = process.env.TEST_DATABASE_URL ? await freshDatabase() : null;
    env = {
      PORT: port,
      HOST: '127.0.0.1',
      DATA_DIR: dir,
      ADMIN_PASSWORD: 'process-test-password',
      LOG_LEVEL: 'info',
      ...(database?.env ?? {}),
    };
  });
  afterAll(async () => {
    // A start that failed the test may still be running: stop it before removing its data directory.
    await Promise.all([...children].map((c) => (c.kill('SIGKILL'), exitOf(c))));
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    await database?.drop();
  });

  it(
    'becomes ready, exits 0 on SIGTERM, and keeps its data across a restart',
    async () => {
      const http = new Http(`http://127.0.0.1:${port}`);
      const first = start(env);
      await waitReady(http, READY_DEADLINE_MS, first);
      const login = await http.post('/api/v1/auth/login', { username: 'admin', password: 'process-test-password' });
      expect(login.status).toBe(200);
      const token = login.body.data.access_token;
      const created = await http.post('/api/v1/tenants', { tenant_name: 'Persistent' }, { token });
      expect(created.status).toBe(201);

      const exited = exitOf(first.child);
      first.child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(first.output()).toMatch(/database closed/);
      // Logs are JSON lines with a request id on request lines.
      const requestLine = first
        .output()
        .split('\n')
        .find((l) => l.includes('"request_id"'));
      expect(requestLine).toBeDefined();
      expect(() => JSON.parse(requestLine!)).not.toThrow();
      // The token and password never reach the log.
      expect(first.output()).not.toContain(token);
      expect(first.output()).not.toContain('process-test-password');

      const second = start(env);
      try {
        await waitReady(http, READY_DEADLINE_MS, second);
        const again = await http.post('/api/v1/auth/login', { username: 'admin', password: 'process-test-password' });
        const got = await http.get(`/api/v1/tenants/${created.body.data.tenant_id}`, { token: again.body.data.access_token });
        expect(got.status).toBe(200);
        expect(got.body.data.tenant_name).toBe('Persistent');
      } finally {
        const done = exitOf(second.child);
        second.child.kill('SIGTERM');
        expect(await done).toBe(0);
      }
    },
    3 * READY_DEADLINE_MS,
  );

  it(
    'without METRICS_TOKEN, prints a generated /metrics token once at first start and accepts it after a restart',
    async () => {
      const mdir = mkdtempSync(join(tmpdir(), 'strata-metrics-'));
      const mdb = process.env.TEST_DATABASE_URL ? await freshDatabase() : null;
      const menv = { ...env, PORT: String(await freePort()), DATA_DIR: mdir, METRICS_TOKEN: '', METRICS_PUBLIC: '', ...(mdb?.env ?? {}) };
      const http = new Http(`http://127.0.0.1:${menv.PORT}`);
      try {
        const first = start(menv);
        await waitReady(http, READY_DEADLINE_MS, first);
        const printed = first.output().match(/generated METRICS_TOKEN (mt-[A-Za-z0-9_-]+)/);
        expect(printed).not.toBeNull();
        const token = printed![1];
        const none = await http.get('/metrics');
        expect(none.status).toBe(401);
        expect(none.body.error.code).toBe('UNAUTHENTICATED');
        expect((await http.get('/metrics', { token })).status).toBe(200);
        let exited = exitOf(first.child);
        first.child.kill('SIGTERM');
        expect(await exited).toBe(0);

        const second = start(menv);
        await waitReady(http, READY_DEADLINE_MS, second);
        expect(second.output()).not.toContain('generated METRICS_TOKEN');
        expect((await http.get('/metrics', { token })).status).toBe(200);
        expect((await http.get('/metrics')).status).toBe(401);
        exited = exitOf(second.child);
        second.child.kill('SIGTERM');
        expect(await exited).toBe(0);
      } finally {
        rmSync(mdir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
        await mdb?.drop();
      }
    },
    3 * READY_DEADLINE_MS,
  );

  it('refuses to start on bad configuration, naming the variable', async () => {
    const bad = start({ ...env, PORT: String(await freePort()), TOKEN_EXPIRE_HOURS: 'forever' });
    const code = await exitOf(bad.child);
    expect(code).toBe(1);
    expect(bad.output()).toMatch(/Invalid configuration: TOKEN_EXPIRE_HOURS/);
    expect(bad.output()).not.toMatch(/\n\s+at /);
  });
});
