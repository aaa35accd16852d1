import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PERMISSIONS } from '../../src/context/permissions';
import { Credentials, Http } from '../support/http';
import { kbPath } from '../support/rag';
import { PrivatePostgres, privatePostgresUnavailable } from '../support/private-postgres';

/**
 * PostgreSQL crashes under load and comes back (issue 12, "Faults"). The
 * built server (dist/, as ops-logs) runs as a child process on a PostgreSQL
 * cluster of this test's own — the shared server every other suite uses is
 * never stopped — so the test can `pg_ctl stop -m immediate` it (a crash:
 * connections cut, no checkpoint) while four clients of two tenants query,
 * then start it again and watch the app recover without a restart.
 *
 * Runs on the real-server leg (TEST_DATABASE_URL set, scripts/test-on-postgres.sh);
 * the embedded-PGlite legs skip it: they have no server to crash, and the
 * suite would only repeat itself there.
 */
const ROOT = join(__dirname, '..', '..');
const unavailable = !process.env.TEST_DATABASE_URL ? 'real-server leg only (TEST_DATABASE_URL unset)' : privatePostgresUnavailable();
/** DATABASE_CONNECT_TIMEOUT_MS of the app under test: the bound on waiting for a connection. */
const CONNECT_TIMEOUT_MS = 2000;
/** No request may take longer than the connect timeout plus this (a hang would). */
const SLACK_MS = 5000;
/** The issue's promise: service is back within 10 s of the database accepting connections. */
const RECOVERY_BOUND_MS = 10_000;
/** How long PostgreSQL stays down: past the 5 s API-key cache (key lookups must answer 503, not 401). */
const OUTAGE_MS = 6500;
const MODES = ['naive', 'local', 'global', 'hybrid', 'mix'] as const;

interface Sample {
  tenant: 'A' | 'B';
  phase: 'before' | 'outage' | 'after';
  status: number;
  ms: number;
  text: string;
  body: any;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
}

/** One request with a client-side abort well past the bound: an aborted request counts as a hang (status 0). */
async function timed(http: Http, method: string, path: string, body: unknown, as: Credentials | undefined, abortMs: number) {
  const started = Date.now();
  const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
  if (as?.key) headers['x-api-key'] = as.key;
  if (as?.token) headers.authorization = `Bearer ${as.token}`;
  try {
    const res = await fetch(http.baseUrl + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(abortMs),
    });
    const text = await res.text();
    let parsed: any = null;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON: asserted below */
    }
    return { status: res.status, ms: Date.now() - started, text, body: parsed };
  } catch (err) {
    return { status: 0, ms: Date.now() - started, text: String(err), body: null };
  }
}

(unavailable ? describe.skip : describe)(`faults: PostgreSQL crashes under load and comes back${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let pg: PrivatePostgres;
  let child: ChildProcess;
  let log = '';
  let dataDir = '';
  let http: Http;
  const tenants: Record<'A' | 'B', { id: string; kb: string; key: Credentials; canary: string }> = {} as never;
  const samples: Sample[] = [];
  const ready: Array<{ status: number; code: string | undefined; ms: number; at: number }> = [];
  let crashedAt = 0;
  let upAt = 0;
  let recoveredMs = 0;
  let inflight: { id: string; file: string; statusAtCrash: string } | null = null;
  /** A sign-in sent while PostgreSQL is down: its audit entry must reach the database after recovery. */
  const outageLoginId = `faults-outage-login-${randomBytes(6).toString('hex')}`;
  let outageLogin: { status: number; code: string | undefined } | null = null;

  beforeAll(async () => {
    pg = await PrivatePostgres.create();
    dataDir = mkdtempSync(join(tmpdir(), 'strata-faults-'));
    await pg.start();
    const port = String(20000 + Math.floor(Math.random() * 20000));
    const env = {
      ...process.env,
      PORT: port,
      HOST: '127.0.0.1',
      DATABASE_URL: pg.url,
      DATA_DIR: dataDir,
      DATABASE_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
      ADMIN_USERNAME: 'admin',
      ADMIN_PASSWORD: 'faults-pg-password',
      TOKEN_SECRET: 'faults-pg-token-secret-at-least-32-chars',
      ENCRYPTION_KEY: 'cd'.repeat(32),
      LOG_LEVEL: 'warn',
      WORKER_POLL_MS: '50',
      RATE_LIMIT_QUERIES_PER_MINUTE: '1000000',
    };
    delete (env as Record<string, string | undefined>).TEST_DATABASE_URL;
    child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'main.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (log += d.toString()));
    child.stderr!.on('data', (d) => (log += d.toString()));
    http = new Http(`http://127.0.0.1:${port}`);
    let up = false;
    for (let i = 0; i < 600 && !up && child.exitCode === null; i++) {
      up = await http.get('/health/ready').then(
        (r) => r.status === 200,
        () => false,
      );
      if (!up) await sleep(100);
    }
    if (!up) throw new Error(`the server did not start:\n${log.slice(-3000)}`);

    const login = await http.post('/api/v1/auth/login', { username: 'admin', password: 'faults-pg-password' });
    const admin = { token: login.body.data.access_token };
    for (const name of ['A', 'B'] as const) {
      const tenant = await http.post('/api/v1/tenants', { tenant_name: `faults-${name}` }, admin);
      const id: string = tenant.body.data.tenant_id;
      const kb = (await http.post(`/api/v1/tenants/${id}/knowledge-bases`, { kb_name: 'main' }, admin)).body.data.kb_id;
      const key = (await http.post(`/api/v1/tenants/${id}/api-keys`, { key_name: 'load', knowledge_base_ids: ['*'], permissions: [...PERMISSIONS] }, admin)).body.data.key;
      const canary = `canary${name.toLowerCase()}${randomBytes(5).toString('hex')}`;
      tenants[name] = { id, kb, key: { key }, canary };
      const text = `The lighthouse keeper of the northern harbour logs every ship. The secret harbour password is ${canary}. Ships arrive at dawn and leave at dusk.`;
      const add = await http.post(`${kbPath(id, kb)}/documents/text`, { text, file_source: `harbour-${name}.txt` }, { key });
      if (add.status !== 202) throw new Error(`add failed: ${add.status} ${add.text}`);
      const docId = add.body.data.document_id;
      for (let i = 0; i < 600; i++) {
        const d = await http.get(`${kbPath(id, kb)}/documents/${docId}`, { key });
        if (d.body?.data?.status === 'processed') break;
        if (d.body?.data?.status === 'failed') throw new Error(`seed document failed: ${d.text}`);
        await sleep(50);
      }
    }
  });

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exitOf(child), sleep(15_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await pg?.destroy();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs the load: 4 clients of 2 tenants query before, during and after a crash of PostgreSQL (pg_ctl stop -m immediate) and its restart', async () => {
    let phase: Sample['phase'] = 'before';
    let stop = false;
    const abortMs = CONNECT_TIMEOUT_MS + SLACK_MS * 3;
    const client = async (name: 'A' | 'B', n: number) => {
      const t = tenants[name];
      for (let i = 0; !stop && i < 20_000; i++) {
        const at = phase;
        const r =
          i % 4 === 3
            ? await timed(http, 'GET', `${kbPath(t.id, t.kb)}/documents?limit=50`, undefined, t.key, abortMs)
            : await timed(
                http,
                'POST',
                `${kbPath(t.id, t.kb)}/query`,
                { query: 'What is the secret harbour password?', mode: MODES[(i + n) % MODES.length], only_need_context: true },
                t.key,
                abortMs,
              );
        samples.push({ tenant: name, phase: at === phase ? at : 'outage', ...r });
        await sleep(5);
      }
    };
    const clients = [client('A', 0), client('A', 1), client('B', 0), client('B', 1)];
    const readiness = async () => {
      while (!stop) {
        const r = await timed(http, 'GET', '/health/ready', undefined, undefined, abortMs);
        ready.push({ status: r.status, code: r.body?.error?.code, ms: r.ms, at: Date.now() });
        await sleep(100);
      }
    };
    const readyLoop = readiness();
    try {
      await sleep(1500);
      // A document in flight when the database goes: large enough to still be processing.
      const A = tenants.A;
      const text = Array.from({ length: 400 }, (_, i) => `Paragraph ${i} about tides, ropes, lanterns and gulls near pier ${i % 17}.`).join('\n\n');
      const add = await http.post(`${kbPath(A.id, A.kb)}/documents/text`, { text, file_source: 'inflight.txt' }, A.key);
      expect(add.status).toBe(202);
      let status = 'pending';
      for (let i = 0; i < 200 && status === 'pending'; i++) {
        status = (await http.get(`${kbPath(A.id, A.kb)}/documents/${add.body.data.document_id}`, A.key)).body?.data?.status;
        if (status === 'pending') await sleep(20);
      }
      inflight = { id: add.body.data.document_id, file: 'inflight.txt', statusAtCrash: status };

      phase = 'outage';
      crashedAt = Date.now();
      await pg.stop('immediate');
      // A sign-in always reaches its handler (no cached key, tenant or budget in front of it), so its
      // audit entry is recorded while the database is down, whatever the caches held at the crash.
      const login = await fetch(`${http.baseUrl}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': outageLoginId },
        body: JSON.stringify({ username: 'admin', password: 'faults-pg-password' }),
        signal: AbortSignal.timeout(abortMs),
      });
      outageLogin = { status: login.status, code: ((await login.json().catch(() => null)) as any)?.error?.code };
      // Down under load for longer than the API-key cache lives (5 s), so key lookups meet the dead database too.
      await sleep(OUTAGE_MS);

      await pg.start();
      upAt = Date.now();
      // Recovered = readiness 200 and one query of each tenant 200, all after the database is back.
      const okQuery = async (name: 'A' | 'B') => {
        const t = tenants[name];
        for (;;) {
          const r = await timed(
            http,
            'POST',
            `${kbPath(t.id, t.kb)}/query`,
            { query: 'What is the secret harbour password?', mode: 'naive', only_need_context: true },
            t.key,
            abortMs,
          );
          samples.push({ tenant: name, phase: 'outage', ...r });
          if (r.status === 200 || Date.now() - upAt > RECOVERY_BOUND_MS * 3) return Date.now();
          await sleep(100);
        }
      };
      const okReady = async () => {
        for (;;) {
          const r = await timed(http, 'GET', '/health/ready', undefined, undefined, abortMs);
          if (r.status === 200 || Date.now() - upAt > RECOVERY_BOUND_MS * 3) return Date.now();
          await sleep(100);
        }
      };
      const done = await Promise.all([okReady(), okQuery('A'), okQuery('B')]);
      recoveredMs = Math.max(...done) - upAt;
      phase = 'after';
      await sleep(2000);
    } finally {
      stop = true;
      await Promise.all([...clients, readyLoop]);
    }
    const by = (p: Sample['phase']) => samples.filter((s) => s.phase === p);
    const max = Math.max(...samples.map((s) => s.ms));
    console.log(
      `faults-postgres: ${samples.length} requests (before ${by('before').length}, outage ${by('outage').length}, after ${by('after').length}); ` +
        `503 during outage ${by('outage').filter((s) => s.status === 503).length}; slowest ${max} ms; recovered ${recoveredMs} ms after PostgreSQL accepted connections; ` +
        `in-flight document was ${inflight?.statusAtCrash} at the crash`,
    );
    expect(by('before').length).toBeGreaterThan(0);
    expect(by('outage').some((s) => s.status === 503)).toBe(true);
    expect(by('after').length).toBeGreaterThan(0);
  });

  it('before the crash and after recovery every request answers 200', () => {
    const bad = samples.filter((s) => s.phase !== 'outage' && s.status !== 200).map((s) => `${s.phase} ${s.status} ${s.text.slice(0, 200)}`);
    expect(bad).toEqual([]);
  });

  it(`during the outage every request answers 200 or 503 UNAVAILABLE in the contract envelope (never 500), each within DATABASE_CONNECT_TIMEOUT_MS + ${SLACK_MS} ms`, () => {
    const outage = samples.filter((s) => s.phase === 'outage');
    const bad = outage
      .filter((s) => !(s.status === 200 || (s.status === 503 && s.body?.status === 'error' && s.body.error?.code === 'UNAVAILABLE' && typeof s.body.error.request_id === 'string')))
      .map((s) => `${s.status} ${s.text.slice(0, 300)}`);
    expect(bad).toEqual([]);
    const slow = samples.filter((s) => s.ms > CONNECT_TIMEOUT_MS + SLACK_MS).map((s) => `${s.phase} ${s.status} ${s.ms} ms`);
    expect(slow).toEqual([]);
  });

  it('/health/ready answers 503 UNAVAILABLE while PostgreSQL is down, and every probe completes within the bound', () => {
    const down = ready.filter((r) => r.at > crashedAt && r.at < upAt);
    expect(down.some((r) => r.status === 503 && r.code === 'UNAVAILABLE')).toBe(true);
    expect(down.filter((r) => r.status !== 503 && r.status !== 200)).toEqual([]);
    expect(ready.filter((r) => r.ms > CONNECT_TIMEOUT_MS + SLACK_MS)).toEqual([]);
  });

  it(`recovers by itself (no app restart): /health/ready and both tenants' queries answer 200 within ${RECOVERY_BOUND_MS / 1000} s of PostgreSQL accepting connections`, () => {
    expect(child.exitCode).toBeNull();
    expect(recoveredMs).toBeLessThanOrEqual(RECOVERY_BOUND_MS);
  });

  it("no response of tenant A carries tenant B's canary and vice versa (every body checked), and each tenant's answers carry its own", () => {
    const leaks = samples.filter((s) => s.text.includes(tenants[s.tenant === 'A' ? 'B' : 'A'].canary)).map((s) => `${s.tenant} ${s.phase} ${s.status}`);
    expect(leaks).toEqual([]);
    for (const name of ['A', 'B'] as const) {
      expect(samples.some((s) => s.tenant === name && s.phase === 'before' && s.text.includes(tenants[name].canary))).toBe(true);
      expect(samples.some((s) => s.tenant === name && s.phase === 'after' && s.text.includes(tenants[name].canary))).toBe(true);
    }
  });

  it('the document being ingested at the crash ends processed, exactly once in the list', async () => {
    const A = tenants.A;
    let doc: any;
    for (let i = 0; i < 300; i++) {
      doc = (await http.get(`${kbPath(A.id, A.kb)}/documents/${inflight!.id}`, A.key)).body?.data;
      if (doc?.status === 'processed' || doc?.status === 'failed') break;
      await sleep(100);
    }
    expect(doc?.status).toBe('processed');
    const list = await http.get(`${kbPath(A.id, A.kb)}/documents?limit=200`, A.key);
    expect(list.status).toBe(200);
    const items: Array<{ id?: string; document_id?: string; file_path?: string }> = list.body.data.items ?? list.body.data;
    expect(items.filter((d) => d.file_path === inflight!.file)).toHaveLength(1);
  });

  it('the background loops survive: the process keeps running, the audit entry of a sign-in refused while PostgreSQL was down (503) is written after recovery, and the outage logs a bounded number of lines', async () => {
    expect(child.exitCode).toBeNull();
    expect(outageLogin).toEqual({ status: 503, code: 'UNAVAILABLE' });
    // Read straight from the test's own cluster: platform-chain entries (no tenant) have no list route.
    const { Client } = await import('pg');
    const db = new Client({ connectionString: pg.url });
    await db.connect();
    let rows: Array<{ action: string; outcome: string; http_status: number }> = [];
    try {
      for (let i = 0; i < 100 && rows.length === 0; i++) {
        rows = (await db.query('SELECT action, outcome, http_status FROM audit_log WHERE request_id = $1', [outageLoginId])).rows;
        if (!rows.length) await sleep(100);
      }
    } finally {
      await db.end();
    }
    expect(rows).toEqual([{ action: 'auth.login', outcome: 'failed', http_status: 503 }]);
    // Failed queries are audited too when they got past access control; whether any did depends on what the caches held at the crash.
    const A = tenants.A;
    const r = await http.get(`/api/v1/tenants/${A.id}/audit-logs?action=query.run&limit=200`, A.key);
    expect(r.status).toBe(200);
    const failedQueries = (r.body.data.items ?? r.body.data).filter((e: { http_status: number }) => e.http_status === 503).length;
    const lines = log.split('\n').filter((l) => l.trim());
    const background = lines.filter((l) => !/"req":|"reqId"|"request_id"/.test(l));
    console.log(
      `faults-postgres: ${failedQueries} of tenant A's failed queries audited; ${lines.length} log lines at warn and above, ${background.length} not bound to a request:\n${background.slice(0, 30).join('\n')}`,
    );
    expect(background.length).toBeLessThan(20);
  });
});
