import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { Http } from '../support/http';
import { freshDatabase, TestDatabase } from '../support/test-db';

/**
 * Ingestion across replicas, with real server processes (the built
 * dist/src/main.js) on one PostgreSQL server: every job is claimed by exactly
 * one replica; a replica stopped with SIGTERM finishes the jobs it holds
 * before it exits 0 (drain); a replica killed with SIGKILL mid-job loses
 * nothing — another replica takes its jobs over once their lock times out
 * (JOB_LOCK_TIMEOUT_S, 3 s here) and every document ends processed, once.
 * A real server only: processes cannot share an embedded PGlite.
 */
const onServer = process.env.TEST_DATABASE_URL ? describe : describe.skip;
const MAIN = join(__dirname, '..', '..', 'dist', 'src', 'main.js');
const DOCS = 24;
const children = new Set<ChildProcess>();

function start(env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [MAIN], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.resume();
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function until<T>(check: () => Promise<T | null | false>, limitMs: number, what: string): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = await check().catch(() => null);
    if (v) return v;
    if (Date.now() - started > limitMs) throw new Error(`${what}: not within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A text long enough to keep a worker busy for a moment (several chunks, many entities). */
function documentText(i: number): string {
  const parts: string[] = [];
  for (let p = 0; p < 60; p++)
    parts.push(`Station ${i}-${p} of the Meridian line was opened by engineer Ada Quill${p} in ${1900 + p}. It links Harbor${p} and Ridge${i} across the valley of the river Osk.`);
  return parts.join('\n\n');
}

onServer('ingestion across replicas: one claim per job, SIGTERM drains, SIGKILL loses nothing', () => {
  let database: TestDatabase;
  let sql: Client;
  const dirs: string[] = [];
  const base = 21000 + Math.floor(Math.random() * 20000);

  const envFor = (i: number, workers: number): Record<string, string> => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-replica-'));
    dirs.push(dir);
    return {
      ...database.env,
      PORT: String(base + i),
      HOST: '127.0.0.1',
      DATA_DIR: dir,
      // Replicas share their secrets (README: running several replicas).
      TOKEN_SECRET: 'replica-token-secret-that-is-long-enough-0123',
      API_KEY_PEPPER: 'replica-api-key-pepper-0123456789',
      METRICS_TOKEN: 'replica-metrics-token-0123456789',
      ADMIN_USERNAME: 'admin',
      ADMIN_PASSWORD: 'replica-admin-password',
      LOG_LEVEL: 'warn',
      WORKER_CONCURRENCY: String(workers),
      WORKER_POLL_MS: '50',
      JOB_LOCK_TIMEOUT_S: '3',
    };
  };
  const httpOf = (i: number) => new Http(`http://127.0.0.1:${base + i}`);
  const ready = (i: number) => until(async () => (await httpOf(i).get('/health/ready')).status === 200, 60_000, `replica ${i} ready`);
  /** Waits until a replica's workers hold jobs (its worker ids are host:pid:…); their ids. */
  const holding = (replica: ChildProcess, name: string): Promise<string[]> =>
    until(
      async () => {
        const r = await sql.query(`SELECT id FROM jobs WHERE state = 'running' AND locked_by LIKE $1`, [`%:${replica.pid}:%`]);
        return r.rows.length ? r.rows.map((row) => row.id as string) : null;
      },
      30_000,
      `${name} holding a job`,
    );

  beforeAll(async () => {
    database = await freshDatabase();
    sql = new Client({ connectionString: database.url! });
    await sql.connect();
  });
  afterAll(async () => {
    await Promise.all([...children].map((c) => (c.kill('SIGKILL'), exitOf(c))));
    await sql?.end();
    await database?.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it(`${DOCS} documents through replicas (one serving HTTP only, three running workers one after another): the SIGTERM'd one finishes what it holds and exits 0, the SIGKILL'd one's jobs are taken over, every document ends processed once`, async () => {
    // Replica 0 serves HTTP and runs no worker loop, so which replica holds jobs below is decided by the
    // test, not by a race (with a loop of its own, replica 0 once finished every job before replica 2 was up).
    const r0 = start(envFor(0, 0));
    await ready(0);
    const r1 = start(envFor(1, 2));
    await ready(1);
    const http = httpOf(0);
    const admin = { token: (await http.post('/api/v1/auth/login', { username: 'admin', password: 'replica-admin-password' })).body.data.access_token };
    const tenant = (await http.post('/api/v1/tenants', { tenant_name: 'Replicas' }, admin)).body.data.tenant_id as string;
    const kb = (await http.post(`/api/v1/tenants/${tenant}/knowledge-bases`, { kb_name: 'main' }, admin)).body.data.kb_id as string;
    const docs = `/api/v1/tenants/${tenant}/knowledge-bases/${kb}/documents`;
    const ids: string[] = [];
    for (let i = 0; i < DOCS; i++) {
      const r = await http.post(`${docs}/text`, { text: documentText(i), file_source: `station-${i}.txt` }, admin);
      expect(r.status).toBe(202);
      ids.push(r.body.data.document_id);
    }

    // SIGTERM replica 1 while it holds jobs: it finishes them (no other replica could have: their locks are fresh) and exits 0.
    const held = await holding(r1, 'replica 1');
    r1.kill('SIGTERM');
    expect(await exitOf(r1)).toBe(0);
    const afterDrain = (await sql.query(`SELECT id, state FROM jobs WHERE id = ANY($1)`, [held])).rows;
    expect(afterDrain.map((r) => r.state)).toEqual(held.map(() => 'done'));

    // A new replica 2 takes jobs; SIGKILL it while it holds some: they stay 'running' with its lock until another replica reclaims them.
    const r2 = start(envFor(2, 2));
    await ready(2);
    const orphaned = await holding(r2, 'replica 2');
    r2.kill('SIGKILL');
    await exitOf(r2);

    // Replica 3 finishes everything, the orphaned jobs included (taken over once their locks time out).
    const r3 = start(envFor(3, 2));
    await ready(3);
    await until(
      async () => {
        const r = await sql.query(`SELECT count(*)::int AS n FROM documents WHERE kb_id = $1 AND status = 'processed'`, [kb]);
        return r.rows[0].n === DOCS;
      },
      120_000,
      'every document processed',
    );
    const jobs = (await sql.query(`SELECT document_id, state, attempts FROM jobs WHERE kb_id = $1`, [kb])).rows;
    expect(jobs.filter((j) => j.state !== 'done')).toEqual([]);
    expect(new Set(jobs.map((j) => j.document_id)).size).toBe(DOCS); // one job per document, none duplicated
    const retried = jobs.filter((j) => j.attempts > 1).length;
    expect(retried).toBeGreaterThanOrEqual(orphaned.length); // the orphaned ones ran again elsewhere
    // Each document once in the list, each with its chunks, none twice.
    const listed = await http.get(`${docs}?limit=100`, admin);
    expect(listed.body.data.map((d: { document_id: string }) => d.document_id).sort()).toEqual([...ids].sort());
    const chunks = (await sql.query(`SELECT document_id, count(*)::int AS n, count(DISTINCT chunk_index)::int AS distinct_n FROM chunks WHERE kb_id = $1 GROUP BY 1`, [kb])).rows;
    expect(chunks).toHaveLength(DOCS);
    for (const c of chunks) expect(c.n).toBe(c.distinct_n);
    process.stdout.write(`replicas-jobs: drained ${held.length} job(s) on SIGTERM, ${orphaned.length} orphaned by SIGKILL and taken over; ${retried} job(s) ran more than once\n`);
    for (const r of [r0, r3]) {
      r.kill('SIGTERM');
      expect(await exitOf(r)).toBe(0);
    }
  }, 240_000);
});
