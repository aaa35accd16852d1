'use strict';
/**
 * What the benchmarks share: boot the built app (dist/) with bench
 * credentials and limits lifted — in-process (bootBenchApp; the only way to
 * reach an in-memory PGlite) or as its own `node dist/src/main.js` process
 * (spawnBenchServer; how it is deployed, so the bench's clients do not share
 * the server's event loop) — a JSON caller that throws on non-2xx, and the
 * admin's Authorization header.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');

const DIST = path.join(__dirname, '..', 'dist');
const ADMIN_PASSWORD = 'bench-admin-password';

function benchEnv(extraEnv) {
  return {
    ...process.env,
    LOG_LEVEL: 'silent',
    ADMIN_PASSWORD,
    TOKEN_SECRET: 'bench-token-secret-that-is-at-least-32-chars',
    RATE_LIMIT_QUERIES_PER_MINUTE: '10000000',
    RATE_LIMIT_DOCUMENTS_PER_HOUR: '10000000',
    WORKER_POLL_MS: '20',
    ...(process.env.DATABASE_URL ? {} : { DATA_DIR: 'memory://' }),
    ...extraEnv,
  };
}

function caller(base) {
  return async (method, p, body, auth = {}) => {
    const res = await fetch(base + p, { method, headers: { 'content-type': 'application/json', ...auth }, body: body ? JSON.stringify(body) : undefined });
    const json = await res.json();
    if (res.status >= 300) throw new Error(`${method} ${p} → ${res.status} ${JSON.stringify(json).slice(0, 300)}`);
    return json;
  };
}

async function adminHeader(call) {
  const login = await call('POST', '/api/v1/auth/login', { username: 'admin', password: ADMIN_PASSWORD });
  return { authorization: `Bearer ${login.data.access_token}` };
}

async function bootBenchApp(extraEnv = {}) {
  const { createApp } = require(path.join(DIST, 'src', 'app.factory'));
  const env = benchEnv(extraEnv);
  const { app } = await createApp(env, { logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${app.getHttpServer().address().port}`;
  const call = caller(base);
  return { app, base, env, call, admin: await adminHeader(call), close: () => app.close() };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * The server as its own process (needs a database other processes can reach: DATABASE_URL or a DATA_DIR on disk).
 * `dist`: another build's dist folder (e.g. of the commit before a change, for a before/after in one run).
 */
async function spawnBenchServer(extraEnv = {}, { dist = DIST } = {}) {
  const port = await freePort();
  const env = { ...benchEnv(extraEnv), PORT: String(port), HOST: '127.0.0.1' };
  // BENCH_SERVER_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" or "--trace-gc" (on stdout; logs are silent), instruments the server process.
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, path.join(path.resolve(dist), 'src', 'main.js')], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  let exited = null;
  child.once('exit', (code) => (exited = code ?? -1));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (exited !== null) throw new Error(`bench server exited with ${exited} before it was ready`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('bench server not ready after 120 s');
    }
    try {
      if ((await fetch(`${base}/health/ready`)).status === 200) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const call = caller(base);
  const close = async () => {
    if (exited !== null) return;
    const done = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await done;
  };
  return { child, base, env, call, admin: await adminHeader(call), close };
}

/**
 * A fresh database on the server named by DATABASE_URL (dropped by `drop()`
 * unless KEEP_DB is set), or { url: null } without one.
 */
async function freshDatabaseUrl(prefix = 'strata_bench') {
  if (!process.env.DATABASE_URL) return { url: null, drop: async () => undefined };
  const { Client } = require('pg');
  const name = `${prefix}_${Date.now()}`;
  const admin = new Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(process.env.DATABASE_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      if (process.env.KEEP_DB) return console.log(`kept database ${name}`);
      const c = new Client({ connectionString: process.env.DATABASE_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/**
 * A JSON POST over keep-alive node:http connections (at most `maxSockets`),
 * the response read and parsed whole; rejects on a status ≥ 300. (fetch's
 * WHATWG streams cost a bench ~0.9 ms of CPU per request on the 2-core
 * machine, 4× what the pg client spends on a raw query, and the bench shares
 * the cores with the server.)
 */
function keepAlivePoster(maxSockets) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  return (base, p, body, headers) => {
    const payload = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = http.request(
        base + p,
        { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers } },
        (res) => {
          const parts = [];
          res.on('data', (d) => parts.push(d));
          res.on('end', () => {
            const json = JSON.parse(Buffer.concat(parts).toString('utf8'));
            if (res.statusCode >= 300) reject(new Error(`POST ${p} → ${res.statusCode} ${JSON.stringify(json).slice(0, 300)}`));
            else resolve(json);
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  };
}

/** CPU ticks (user + system) so far of each live process of `pids` (Linux /proc; empty elsewhere). */
function cpuTicks(pids) {
  const ticks = new Map();
  for (const pid of pids) {
    try {
      const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks.set(String(pid), Number(fields[11]) + Number(fields[12])); // utime, stime (fields 14 and 15 of stat)
    } catch {
      // the process ended meanwhile, or no /proc
    }
  }
  return ticks;
}

/** cpuTicks of every live process whose command line matches `pattern`. */
function cpuTicksMatching(pattern) {
  let pids = [];
  try {
    pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    // no /proc
  }
  return cpuTicks(
    pids.filter((pid) => {
      try {
        return pattern.test(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '));
      } catch {
        return false;
      }
    }),
  );
}

/** CPU seconds between two cpuTicks snapshots: a process new in `after` counts whole, one that ended in between not at all. */
function cpuSecondsBetween(before, after) {
  let ticks = 0;
  for (const [pid, t] of after) ticks += t - (before.get(pid) ?? 0);
  return ticks / 100; // USER_HZ
}

/** A transaction as the tenant (role strata_app, RLS applies) on a plain pg pool, or through the in-process app on PGlite. */
function tenantRunner(pool, app) {
  if (!pool) {
    const { DatabaseService } = require(path.join(DIST, 'src', 'database', 'database.service'));
    return (tenant, work) => app.get(DatabaseService).withTenant(tenant, (db) => work({ query: (sql, params) => db.many(sql, params) }));
  }
  return async (tenant, work) => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SELECT set_config('role', 'strata_app', true), set_config('app.tenant_id', $1, true)`, [tenant]);
      const out = await work({ query: (sql, params) => client.query(sql, params).then((r) => r.rows) });
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  };
}

/**
 * One processed document of `count` chunks written straight into the tables
 * (`q`: a tenantRunner transaction): each chunk's text from `text()`, its
 * vector from `embed`, 250 rows per statement. Returns the document id.
 * Benches of queries load their corpus this way: they measure queries, not
 * ingestion.
 */
async function insertChunks(q, { tenant, kb, count, filePath, text, embed }) {
  const [doc] = await q.query(
    `INSERT INTO documents (tenant_id, kb_id, file_path, content_hash, content, size_bytes, status, chunks_count, track_id)
     VALUES ($1, $2, $3, md5(random()::text), $3, length($3), 'processed', $4, 'bench') RETURNING id`,
    [tenant, kb, filePath, count],
  );
  for (let i = 0; i < count; i += 250) {
    const contents = Array.from({ length: Math.min(250, count - i) }, text);
    const vectors = contents.map((c) => `[${embed(c).join(',')}]`);
    await q.query(
      `INSERT INTO chunks (tenant_id, kb_id, document_id, chunk_index, content, tokens, embedding)
       SELECT $1, $2, $3, $4 + u.o - 1, u.content, 40, u.embedding::vector
       FROM unnest($5::text[], $6::text[]) WITH ORDINALITY AS u(content, embedding, o)`,
      [tenant, kb, doc.id, i, contents, vectors],
    );
  }
  return doc.id;
}

/**
 * Synthetic prose for the query benches (bench:query, bench:modes): 48 topical
 * words, a seeded generator (the same corpus and questions every run), and
 * 12-word sentences of them.
 */
function syntheticProse(seed) {
  const words = (
    'river harbour engine voltage protein galaxy treaty monsoon glacier sonnet algorithm volcano tariff enzyme orbit cathedral ' +
    'ledger turbine pigment fossil canyon reactor quartz bishop citadel compiler dialect equator famine granite harvest isotope ' +
    'jasmine kernel lantern magnet nebula oasis parliament quarry reef satellite tundra utopia vaccine whale xenon yeast zenith'
  ).split(' ');
  let state = seed;
  const rnd = () => (state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const pick = () => words[Math.floor(rnd() * words.length)];
  return { pick, sentence: () => Array.from({ length: 12 }, pick).join(' ') + '.' };
}

/**
 * Runs `work(server)` against a server process of the build in `dist` on a
 * database of its own: a fresh database on DATABASE_URL's server, or an
 * on-disk PGlite in a temporary DATA_DIR; both are removed afterwards.
 */
async function withBenchServer(prefix, env, dist, work) {
  const fs = require('node:fs');
  const os = require('node:os');
  const db = await freshDatabaseUrl(`strata_${prefix}`);
  const dataDir = db.url ? null : fs.mkdtempSync(path.join(os.tmpdir(), `strata-${prefix}-`));
  try {
    const server = await spawnBenchServer({ ...(db.url ? { DATABASE_URL: db.url } : { DATA_DIR: dataDir }), ...env }, { dist });
    try {
      return await work(server);
    } finally {
      await server.close();
    }
  } finally {
    await db.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The p-th percentile (0–100) of an ascending array. */
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/**
 * A victim's phase: `clients` loops call `send(i)` (→ {ok, ms}) back to back
 * for `seconds`; returns how many were sent, p50 and p99 of their latency and
 * how many were not ok.
 */
async function latencyPhase(seconds, clients, send) {
  const lat = [];
  let errors = 0;
  let i = 0;
  const until = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (Date.now() < until) {
        const r = await send(i++);
        if (!r.ok) errors++;
        lat.push(r.ms);
      }
    }),
  );
  lat.sort((a, b) => a - b);
  return { n: lat.length, p50: lat.length ? percentile(lat, 50) : NaN, p99: lat.length ? percentile(lat, 99) : NaN, errors };
}

/**
 * A tenant with one KB, an API key with `permissions` on it and, when the key
 * may write documents, a 40-paragraph harbour text ingested (waits until it
 * is processed): the victim or attacker of the fairness benches.
 */
async function harbourTenant({ call, admin }, name, permissions) {
  const t = (await call('POST', '/api/v1/tenants', { tenant_name: `${name} ${Date.now()}` }, admin)).data.tenant_id;
  const kb = (await call('POST', `/api/v1/tenants/${t}/knowledge-bases`, { kb_name: 'main' }, admin)).data.kb_id;
  const key = (await call('POST', `/api/v1/tenants/${t}/api-keys`, { key_name: 'app', knowledge_base_ids: [kb], permissions }, admin)).data.key;
  const T = { tenantId: t, kbPath: `/api/v1/tenants/${t}/knowledge-bases/${kb}`, key };
  if (!permissions.includes('document:write')) return T;
  const text = Array.from({ length: 40 }, (_, i) => `Harbour ${i} keeps lanterns, ropes and tide tables for pier ${i % 9}. The keeper ${i} logs every arrival.`).join('\n\n');
  const doc = await call('POST', `${T.kbPath}/documents/text`, { text, file_source: 'harbour.txt' }, { 'x-api-key': key });
  for (;;) {
    const d = await call('GET', `${T.kbPath}/documents/${doc.data.document_id}`, undefined, { 'x-api-key': key });
    if (d.data.status === 'processed') break;
    if (d.data.status === 'failed') throw new Error(`document failed: ${d.data.error}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return T;
}

/** Sends one naive, context-only query of tenant T about harbour i (→ {status, ms}). */
async function harbourQuery(base, T, i) {
  const t0 = process.hrtime.bigint();
  const r = await fetch(`${base}${T.kbPath}/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': T.key },
    body: JSON.stringify({ query: `Which keeper logs arrivals at harbour ${i % 50}?`, mode: 'naive', only_need_context: true }),
  });
  await r.arrayBuffer();
  return { status: r.status, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
}

module.exports = {
  bootBenchApp,
  spawnBenchServer,
  freshDatabaseUrl,
  freePort,
  keepAlivePoster,
  cpuTicks,
  cpuTicksMatching,
  cpuSecondsBetween,
  tenantRunner,
  insertChunks,
  syntheticProse,
  percentile,
  latencyPhase,
  harbourTenant,
  harbourQuery,
  withBenchServer,
};
