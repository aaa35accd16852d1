#!/usr/bin/env node
/**
 * Load with leak canaries, through two replicas (issue 12, "Load with leak
 * canaries" and "Hostile input under load").
 *
 * A fresh database on the PostgreSQL server of DATABASE_URL (or
 * TEST_DATABASE_URL; default postgres://postgres@127.0.0.1:5432/postgres) —
 * created here, dropped at the end — and two Strata replicas as real
 * processes (`node dist/src/main.js` on two ports, one TOKEN_SECRET and
 * API_KEY_PEPPER, REDIS_URL with a REDIS_KEY_PREFIX of this run, so rate
 * limits and cache invalidation are shared). TENANTS tenants × KBS KBs, each
 * KB seeded with DOCS_PER_KB documents carrying the KB's canary phrase
 * (`canary-t<tenant>-k<kb>-<random hex>`) amid text that every KB shares, so
 * a query in any KB matches every KB's documents equally: a retrieval,
 * cache or scope mix-up would surface another KB's canary.
 *
 * Then LOAD_SECONDS of mixed traffic from CLIENTS concurrent clients, each
 * request to the next replica in turn: queries in every mode (with and
 * without only_need_context), query/stream, document lists, text and file
 * uploads, deletes of the load's own uploads, API-key cycles (create on one
 * replica, use on the other, revoke, then the other replica must refuse the
 * key within 1 s), and hostile calls — a tenant's key on another tenant's
 * paths (query, stream, list, upload, delete a seeded document, list or
 * revoke its keys) and a KB-scoped key on its sibling KB's paths. Meanwhile
 * FUZZ_CLIENTS clients send the OpenAPI fuzz cases (bench/openapi-fuzz.js,
 * the generator of test/e2e/fuzz-openapi.e2e-spec.ts) through both replicas
 * as two fuzz tenants, nobody and the admin.
 *
 * Checks (exit 1 if any fails): every response body is scanned for canaries —
 * any canary but the one of the tenant+KB the request named is a leak (a
 * hostile call may carry none); 0 × 5xx and 0 network errors; every hostile
 * call answered 403, and the cross_tenant_access_attempts (and
 * cross_kb_access_attempts) counters of the load's tenants, summed over both
 * replicas' /metrics, grew by exactly the hostile calls made; every revoked
 * key refused by the other replica within 1 s; the fuzz answers pass the
 * fuzz spec's checks (< 500, envelope, no stack or SQL, no other tenant's
 * data); no write outside the caller's KB — afterwards the load tenants'
 * documents are exactly the seeded ones plus the load's own uploads still
 * present, each in the KB it was uploaded to, their KBs and users are those
 * seeded, their keys the seeded ones plus the load's own, and only the load's
 * own keys are revoked.
 *
 * Reports requests, statuses and p50/p99 per route, peak RSS (VmHWM) of each
 * replica, the machine's load average. `--json` prints one JSON object on
 * stdout (progress goes to stderr either way).
 *
 * Env: TENANTS (50), KBS (2), DOCS_PER_KB (3), LOAD_SECONDS (60), CLIENTS
 * (20), FUZZ_CLIENTS (2), FUZZ_MAX_REQUESTS (3000), FUZZ_SEED (random,
 * printed), MAX_REQUESTS (200000: the load's bound by count),
 * SEED_TIMEOUT_S (600: seeded documents must be ingested within it),
 * REDIS_URL (redis://127.0.0.1:6379), KEEP_DB / KEEP_LOGS (keep them),
 * READ_SERVER_URL (a streaming replica of DATABASE_URL's server: the run's
 * database, once replayed there, is given to the replicas as
 * DATABASE_READ_URL, and the report counts where reads ran — database_reads
 * of each replica's /metrics).
 */
'use strict';

const { spawn } = require('node:child_process');
const { randomBytes, randomUUID } = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { Client } = require('pg');
const { fuzzer, send } = require('./openapi-fuzz');
const { freePort } = require('./lib');
// Every permission, from the server's own list (the build the bench runs).
const { PERMISSIONS } = require('../dist/src/context/permissions');

const JSON_OUT = process.argv.includes('--json');
const num = (name, dflt) => {
  const v = Number(process.env[name] ?? dflt);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a number ≥ 0`);
  return v;
};
const TENANTS = num('TENANTS', 50);
const KBS = Math.max(2, num('KBS', 2)); // a sibling KB is needed for the cross-KB calls
const DOCS_PER_KB = num('DOCS_PER_KB', 3);
const LOAD_SECONDS = num('LOAD_SECONDS', 60);
const CLIENTS = num('CLIENTS', 20);
const FUZZ_CLIENTS = num('FUZZ_CLIENTS', 2);
const FUZZ_MAX_REQUESTS = num('FUZZ_MAX_REQUESTS', 3000);
const FUZZ_SEED = num('FUZZ_SEED', Math.floor(Math.random() * 2 ** 31));
const MAX_REQUESTS = num('MAX_REQUESTS', 200_000);
const SEED_TIMEOUT_S = num('SEED_TIMEOUT_S', 600);
const REVOKE_WITHIN_MS = 1000;
const SERVER = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const READ_SERVER = process.env.READ_SERVER_URL || null;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const MAIN = path.join(__dirname, '..', 'dist', 'src', 'main.js');
const RUN = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
const ADMIN_PASSWORD = 'load-admin-password';
const METRICS_TOKEN = `mt-load-${randomBytes(16).toString('hex')}`;
const REQUEST_TIMEOUT_MS = 60_000;

const log = (...a) => console.error(`[load ${new Date().toISOString().slice(11, 19)}]`, ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rnd = {
  int: (n) => Math.floor(Math.random() * n),
  pick: (xs) => xs[Math.floor(Math.random() * xs.length)],
};

// ---------------------------------------------------------------- cleanup

const cleanups = [];
let keepLogs = !!process.env.KEEP_LOGS;
let cleaning = null;
function cleanup() {
  cleaning ??= (async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        log(`cleanup: ${err.message}`);
      }
    }
  })();
  return cleaning;
}
const children = new Set();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    log(`${sig}: stopping the replicas and dropping the database`);
    cleanup().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------- processes and HTTP

const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS + FUZZ_CLIENTS + 8 });

/** One request; the body is read whole. Never throws for a status; throws for a network error or timeout. */
function request(base, method, p, { headers = {}, body, from } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(base);
    const h = { ...headers };
    if (body) h['content-length'] = String(body.length);
    const req = http.request({ method, hostname: u.hostname, port: u.port, path: p, agent, headers: h, localAddress: from }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(parts).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
    req.on('error', reject);
    req.end(body);
  });
}

async function api(base, method, p, auth, obj) {
  const headers = { ...auth };
  let body;
  if (obj !== undefined) {
    body = Buffer.from(JSON.stringify(obj));
    headers['content-type'] = 'application/json';
  }
  const r = await request(base, method, p, { headers, body });
  if (r.status >= 300) throw new Error(`${method} ${p} → ${r.status} ${r.text.slice(0, 300)}`);
  return JSON.parse(r.text);
}

async function startReplica(i, env, logDir) {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `strata-load-r${i}-`));
  cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
  const logFile = path.join(logDir, `replica-${i}.log`);
  const out = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  children.add(child);
  let exited = null;
  child.once('exit', (code, signal) => {
    exited = code ?? signal ?? -1;
    children.delete(child);
  });
  const base = `http://127.0.0.1:${port}`;
  const replica = {
    i,
    base,
    pid: child.pid,
    logFile,
    exited: () => exited,
    async stop() {
      if (exited !== null) return;
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await done;
      clearTimeout(t);
    },
  };
  cleanups.push(() => replica.stop());
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (exited !== null) throw new Error(`replica ${i} exited with ${exited} before it was ready (log: ${logFile})`);
    if (Date.now() > deadline) throw new Error(`replica ${i} not ready after 120 s (log: ${logFile})`);
    try {
      if ((await request(base, 'GET', '/health/ready')).status === 200) break;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  return replica;
}

function procStatus(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number((s.match(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm')) ?? [])[1] ?? NaN);
    return { hwmMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
  } catch {
    return { hwmMb: NaN, rssMb: NaN };
  }
}

/** counter name → { tenant_id → value } from a /metrics scrape. */
async function scrape(replica, names) {
  const r = await request(replica.base, 'GET', '/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  if (r.status !== 200) throw new Error(`/metrics of replica ${replica.i} → ${r.status}`);
  const out = Object.fromEntries(names.map((n) => [n, {}]));
  for (const line of r.text.split('\n')) {
    const m = line.match(/^(\w+)\{[^}]*tenant_id="([^"]*)"[^}]*\}\s+([0-9.e+-]+)$/);
    if (m && out[m[1]]) out[m[1]][m[2]] = Number(m[3]);
  }
  return out;
}

/** database_reads{target} of one replica's /metrics: read-only units of work on the primary and on a read replica. */
async function readTargets(replica) {
  const r = await request(replica.base, 'GET', '/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  const of = (target) => Number(new RegExp(`^database_reads\\{target="${target}"\\} (\\d+)$`, 'm').exec(r.text)?.[1] ?? 0);
  return { primary: of('primary'), replica: of('replica') };
}

// ---------------------------------------------------------------- texts

const NAMES = ['Ada Lovelace', 'Alan Turing', 'Grace Hopper', 'Marie Curie', 'Lisbon', 'Oslo', 'Cairo'];
const NOUNS = ['harbour', 'treaty', 'observatory', 'manuscript', 'laboratory', 'engine', 'archive', 'glacier'];
/** Text every KB shares, with the KB's canary in several sentences: a query anywhere matches every KB alike. */
function kbText(canary, d, salt) {
  const s = [];
  for (let i = 0; i < 12; i++) {
    const n = NAMES[(d + i) % NAMES.length];
    const o = NOUNS[(d * 3 + i) % NOUNS.length];
    s.push(
      i % 3 === 0
        ? `The code word of the ${o} visited by ${n} is ${canary}.`
        : `${n} visited the ${o} in ${1800 + ((d * 12 + i) % 200)} and wrote about the ${NOUNS[(d + 2 * i) % NOUNS.length]}.`,
    );
  }
  s.push(`Reference ${salt}.`);
  return s.join(' ');
}
const QUESTIONS = NOUNS.flatMap((o) => [`What is the code word of the ${o}?`, `Who visited the ${o} and what did they write about?`, `${rnd.pick(NAMES)} ${o}`]);
const CANARY_RE = /canary-t\d+-k\d+-[0-9a-f]{8}/g;

// ---------------------------------------------------------------- statistics

const routes = new Map(); // label → { n, statuses: {}, lat: [] }
const problems = { foreignCanaries: [], fiveXx: [], network: [], hostileNotRefused: [], revocation: [], other: [] };
let foreignCanaryResponses = 0;
let ownCanaryResponses = 0; // responses that carried the canary of the KB they named: the scan has something to see
let requestsMade = 0;

function record(label, ms, status) {
  let r = routes.get(label);
  if (!r) routes.set(label, (r = { n: 0, statuses: {}, lat: [] }));
  r.n++;
  r.statuses[status] = (r.statuses[status] ?? 0) + 1;
  r.lat.push(ms);
}
const note = (list, what) => {
  if (list.length < 50) list.push(what);
};

/** Every canary in a body must be `allowed` (the canary of the KB the request named; null: none at all). */
function scanCanaries(label, text, allowed) {
  const found = text.match(CANARY_RE);
  if (!found) return;
  if (allowed && found.includes(allowed)) ownCanaryResponses++;
  const foreign = [...new Set(found)].filter((c) => c !== allowed);
  if (foreign.length) {
    foreignCanaryResponses++;
    note(problems.foreignCanaries, `${label}: ${foreign.join(', ')} (allowed ${allowed ?? 'none'})`);
  }
}

/** A load request through `replica`: timed, recorded under `label`, scanned for canaries and 5xx. */
async function call(replica, label, method, p, { key, json, multipart, allowed, from }) {
  requestsMade++;
  const headers = { 'x-api-key': key };
  let body;
  if (json !== undefined) {
    body = Buffer.from(JSON.stringify(json));
    headers['content-type'] = 'application/json';
  } else if (multipart) {
    const boundary = `----strataload${randomBytes(8).toString('hex')}`;
    body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${multipart.name}"\r\nContent-Type: text/plain\r\n\r\n`),
      Buffer.from(multipart.text),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    headers['content-type'] = `multipart/form-data; boundary=${boundary}`;
  }
  const t0 = process.hrtime.bigint();
  let r;
  try {
    r = await request(replica.base, method, p, { headers, body, from });
  } catch (err) {
    record(label, Number(process.hrtime.bigint() - t0) / 1e6, 'network');
    note(problems.network, `${label} on replica ${replica.i}: ${err.message}`);
    return null;
  }
  record(label, Number(process.hrtime.bigint() - t0) / 1e6, r.status);
  if (r.status >= 500) note(problems.fiveXx, `${label} on replica ${replica.i} (${method} ${p}): ${r.status} ${r.text.slice(0, 300)}`);
  scanCanaries(label, r.text, allowed);
  return r;
}

function pct(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

// ---------------------------------------------------------------- main

async function main() {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build (npm run bench:load does)`);
  const loadBefore = os.loadavg();
  const started = Date.now();
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-load-logs-'));
  cleanups.push(async () => {
    if (keepLogs) log(`replica logs kept in ${logDir}`);
    else fs.rmSync(logDir, { recursive: true, force: true });
  });

  // The database: created here, dropped at the end (first cleanup registered = last run).
  const dbName = `strata_load_${RUN}`;
  const admin = new Client({ connectionString: SERVER });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const dbUrl = new URL(SERVER);
  dbUrl.pathname = `/${dbName}`;
  cleanups.push(async () => {
    if (process.env.KEEP_DB) return log(`kept database ${dbName}`);
    const c = new Client({ connectionString: SERVER });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await c.end();
    log(`dropped database ${dbName}`);
  });
  const sql = new Client({ connectionString: dbUrl.toString() });
  await sql.connect();
  cleanups.push(() => sql.end());

  const env = {
    DATABASE_URL: dbUrl.toString(),
    REDIS_URL,
    REDIS_KEY_PREFIX: `strata-load-${RUN}:`,
    TOKEN_SECRET: `load-token-secret-${RUN}-0123456789abcdef`,
    API_KEY_PEPPER: `load-api-key-pepper-${RUN}-0123456789`,
    METRICS_TOKEN,
    ADMIN_USERNAME: 'admin',
    ADMIN_PASSWORD,
    LOG_LEVEL: 'warn',
    // Limits lifted so the load measures the server, not 429s (429s are still counted per route).
    RATE_LIMIT_QUERIES_PER_MINUTE: '10000000',
    RATE_LIMIT_DOCUMENTS_PER_HOUR: '10000000',
    MAX_KB_PER_TENANT: '1000',
    WORKER_POLL_MS: '100',
    JOB_TIME_BUDGET_S: '60',
    PARSE_TIMEOUT_S: '30',
  };
  if (READ_SERVER) {
    // The new database reaches the streaming replica by WAL replay: wait until it can be opened there.
    const readUrl = new URL(READ_SERVER);
    readUrl.pathname = `/${dbName}`;
    for (let i = 0; ; i++) {
      const c = new Client({ connectionString: readUrl.toString() });
      try {
        await c.connect();
        await c.end();
        break;
      } catch (err) {
        if (i > 300) throw new Error(`the database did not appear on READ_SERVER_URL: ${err.message}`, { cause: err });
        await sleep(100);
      }
    }
    env.DATABASE_READ_URL = readUrl.toString();
    log(`reads (queries, graph, document lists) go to the streaming replica ${readUrl.host}`);
  }
  log(`database ${dbName}; starting two replicas (Redis ${REDIS_URL}, prefix ${env.REDIS_KEY_PREFIX})`);
  const r0 = await startReplica(0, env, logDir);
  const r1 = await startReplica(1, env, logDir);
  const replicas = [r0, r1];
  let turn = 0;
  const nextReplica = () => replicas[turn++ % 2];
  const adminToken = (await api(r0.base, 'POST', '/api/v1/auth/login', undefined, { username: 'admin', password: ADMIN_PASSWORD })).data.access_token;
  const asAdmin = { authorization: `Bearer ${adminToken}` };

  // ------------------------------------------------------------ seed
  log(`seeding ${TENANTS} tenants × ${KBS} KBs × ${DOCS_PER_KB} documents`);
  const tenants = [];
  const seedOne = async (ti) => {
    const rep = replicas[ti % 2];
    const tenantId = (await api(rep.base, 'POST', '/api/v1/tenants', asAdmin, { tenant_name: `Load ${ti} ${RUN}` })).data.tenant_id;
    const kbs = [];
    for (let k = 0; k < KBS; k++) {
      const kbId = (await api(rep.base, 'POST', `/api/v1/tenants/${tenantId}/knowledge-bases`, asAdmin, { kb_name: `kb${k}` })).data.kb_id;
      kbs.push({ k, kbId, canary: `canary-t${ti}-k${k}-${randomBytes(4).toString('hex')}`, uploads: [] });
    }
    const mk = async (name, kbIds, permissions) =>
      (await api(rep.base, 'POST', `/api/v1/tenants/${tenantId}/api-keys`, asAdmin, { key_name: name, knowledge_base_ids: kbIds, permissions })).data;
    const wide = await mk('wide', ['*'], ['kb:read', 'document:read', 'document:write', 'document:delete', 'query:run', 'apikey:manage']);
    for (const kb of kbs) {
      const scoped = await mk(`kb${kb.k}`, [kb.kbId], ['document:read', 'document:write', 'document:delete', 'query:run']);
      kb.key = scoped.key;
      kb.keyId = scoped.key_id;
    }
    for (const kb of kbs) {
      if (!DOCS_PER_KB) continue;
      const texts = Array.from({ length: DOCS_PER_KB }, (_, d) => kbText(kb.canary, d, randomUUID()));
      const res = await api(
        rep.base,
        'POST',
        `/api/v1/tenants/${tenantId}/knowledge-bases/${kb.kbId}/documents/texts`,
        { 'x-api-key': kb.key },
        {
          texts,
          file_sources: texts.map((_, d) => `${kb.canary}-seed-${d}.txt`),
        },
      );
      kb.seedDocs = res.data.document_ids;
    }
    // Each tenant's clients call from an address of their own (the server sees the loopback source address as the
    // client IP): failed authentications count per client IP, and one IP for all the load would be one budget.
    tenants[ti] = { ti, tenantId, kbs, wideKey: wide.key, wideKeyId: wide.key_id, from: `127.66.${Math.floor(ti / 250)}.${(ti % 250) + 1}` };
  };
  const seedStarted = Date.now();
  for (let i = 0; i < TENANTS; i += 4) await Promise.all(Array.from({ length: Math.min(4, TENANTS - i) }, (_, j) => seedOne(i + j)));
  const seedDocsTotal = TENANTS * KBS * DOCS_PER_KB;
  for (;;) {
    const { rows } = await sql.query(`SELECT count(*) FILTER (WHERE status = 'processed')::int AS ok, count(*) FILTER (WHERE status = 'failed')::int AS failed FROM documents`);
    if (rows[0].ok + rows[0].failed >= seedDocsTotal) {
      if (rows[0].failed) note(problems.other, `${rows[0].failed} seeded document(s) failed ingestion`);
      break;
    }
    if (Date.now() - seedStarted > SEED_TIMEOUT_S * 1000) throw new Error(`seeded documents not ingested within ${SEED_TIMEOUT_S} s (${rows[0].ok}/${seedDocsTotal})`);
    await sleep(1000);
  }
  const seedSeconds = (Date.now() - seedStarted) / 1000;
  log(`seeded and ingested ${seedDocsTotal} documents in ${seedSeconds.toFixed(1)} s`);

  // The fuzz tenants (their own, so the fuzz's admin and tenant calls stay away from the load's tenants).
  const fuzzTenant = async (label) => {
    const name = `Fuzz ${label} ${RUN}`;
    const tenantId = (await api(r0.base, 'POST', '/api/v1/tenants', asAdmin, { tenant_name: name })).data.tenant_id;
    const kbName = `fuzz-${label.toLowerCase()}-${RUN}`;
    const kbId = (await api(r0.base, 'POST', `/api/v1/tenants/${tenantId}/knowledge-bases`, asAdmin, { kb_name: kbName })).data.kb_id;
    const username = `fuzz-${label.toLowerCase()}-${RUN}`;
    const user = (await api(r0.base, 'POST', `/api/v1/tenants/${tenantId}/users`, asAdmin, { username, password: 'fuzz-password-1', role: 'member' })).data;
    const key = (
      await api(r0.base, 'POST', `/api/v1/tenants/${tenantId}/api-keys`, asAdmin, {
        key_name: 'fuzz',
        knowledge_base_ids: ['*'],
        permissions: [...PERMISSIONS],
      })
    ).data;
    const extra = (await api(r0.base, 'POST', `/api/v1/tenants/${tenantId}/api-keys`, asAdmin, { key_name: 'extra', knowledge_base_ids: ['*'], permissions: ['kb:read'] })).data;
    const marker = `marker${label}${randomUUID().replace(/-/g, '')}`;
    const doc = (
      await api(
        r0.base,
        'POST',
        `/api/v1/tenants/${tenantId}/knowledge-bases/${kbId}/documents/text`,
        { 'x-api-key': key.key },
        { text: `The ${marker} document of fuzz tenant ${label}.` },
      )
    ).data;
    const userId = user.user_id ?? user.id;
    return {
      tenantId,
      kbId,
      key: key.key,
      extraKeyId: extra.key_id,
      userId,
      documentId: doc.document_id,
      secrets: [tenantId, kbId, key.key_id, key.key, extra.key_id, userId, doc.document_id, name, kbName, username, marker],
    };
  };
  const FA = await fuzzTenant('A');
  const FB = await fuzzTenant('B');
  const restoreLimits = {
    max_documents: 1_000_000,
    max_storage_gb: 1000,
    max_kb: 1000,
    queries_per_minute: 1_000_000,
    documents_per_hour: 1_000_000,
    monthly_token_limit: 1e12,
    monthly_cost_limit_usd: 1e9,
  };
  const restore = (t) => api(r0.base, 'PATCH', `/api/v1/tenants/${t.tenantId}`, asAdmin, { is_active: true, tier: 'standard', limits: restoreLimits });
  await restore(FA);
  await restore(FB);
  const openapi = JSON.parse((await request(r0.base, 'GET', '/docs-json')).text);
  const fz = fuzzer(openapi, FA, FB, adminToken, FUZZ_SEED);

  // What the load's tenants hold before the load (the write check compares with it).
  const loadTenantIds = tenants.map((t) => t.tenantId);
  const snapshot = async () => {
    const q = async (text) => (await sql.query(text, [loadTenantIds])).rows;
    return {
      docs: await q(`SELECT id::text, kb_id::text AS kb, tenant_id::text AS tenant FROM documents WHERE tenant_id = ANY($1::uuid[])`),
      kbs: await q(`SELECT id::text, tenant_id::text AS tenant FROM knowledge_bases WHERE tenant_id = ANY($1::uuid[])`),
      users: await q(`SELECT id::text, tenant_id::text AS tenant FROM users WHERE tenant_id = ANY($1::uuid[])`),
      keys: await q(`SELECT id::text, tenant_id::text AS tenant, revoked_at IS NOT NULL AS revoked FROM api_keys WHERE tenant_id = ANY($1::uuid[])`),
    };
  };
  const before = await snapshot();
  const COUNTERS = ['cross_tenant_access_attempts', 'cross_kb_access_attempts'];
  const metricsBefore = await Promise.all(replicas.map((r) => scrape(r, COUNTERS)));

  // ------------------------------------------------------------ load
  const loadTenantSet = new Set(loadTenantIds);
  const createdDocs = new Map(); // document id → kb id (the load's own uploads, accepted with 202)
  const deletedDocs = new Set();
  const createdKeys = new Set();
  const revokedKeys = new Set();
  const revocationLagMs = [];
  const hostile = { crossTenant: { made: 0, refused: 0 }, crossKb: { made: 0, refused: 0 } };
  let streamErrors = 0;
  let keyCycles = 0;
  const kbPath = (t, kb) => `/api/v1/tenants/${t.tenantId}/knowledge-bases/${kb.kbId}`;
  const pickKb = () => {
    const t = rnd.pick(tenants);
    const kb = rnd.pick(t.kbs);
    return { t, kb, key: Math.random() < 0.5 ? kb.key : t.wideKey, from: t.from };
  };
  const MODES = ['naive', 'local', 'global', 'hybrid', 'mix'];

  const actions = [
    ...MODES.map((mode) => [
      9,
      async () => {
        const { t, kb, key, from } = pickKb();
        const ctx = Math.random() < 0.5;
        await call(nextReplica(), `POST query (${mode}${ctx ? ', context' : ''})`, 'POST', `${kbPath(t, kb)}/query`, {
          key,
          from,
          json: { query: rnd.pick(QUESTIONS), mode, only_need_context: ctx },
          allowed: kb.canary,
        });
      },
    ]),
    [
      8,
      async () => {
        const { t, kb, key, from } = pickKb();
        const r = await call(nextReplica(), 'POST query/stream', 'POST', `${kbPath(t, kb)}/query/stream`, {
          key,
          from,
          json: { query: rnd.pick(QUESTIONS), mode: rnd.pick(MODES) },
          allowed: kb.canary,
        });
        if (r?.status === 200) {
          const lines = r.text.trim().split('\n');
          if (!/"done":\s*true/.test(lines[lines.length - 1] ?? '')) {
            streamErrors++;
            note(problems.other, `stream ended without done: ${lines[lines.length - 1]?.slice(0, 200)}`);
          }
        }
      },
    ],
    [
      6,
      async () => {
        const { t, kb, key, from } = pickKb();
        await call(nextReplica(), 'GET documents', 'GET', `${kbPath(t, kb)}/documents?limit=20`, { key, from, allowed: kb.canary });
      },
    ],
    [
      7,
      async () => {
        const { t, kb, key, from } = pickKb();
        const r = await call(nextReplica(), 'POST documents/text', 'POST', `${kbPath(t, kb)}/documents/text`, {
          key,
          from,
          json: { text: kbText(kb.canary, rnd.int(8), randomUUID()), file_source: `${kb.canary}-load.txt` },
          allowed: kb.canary,
        });
        if (r?.status === 202) {
          const id = JSON.parse(r.text).data.document_id;
          createdDocs.set(id, kb.kbId);
          kb.uploads.push(id);
        }
      },
    ],
    [
      4,
      async () => {
        const { t, kb, key, from } = pickKb();
        const r = await call(nextReplica(), 'POST documents/add (multipart)', 'POST', `${kbPath(t, kb)}/documents/add`, {
          key,
          from,
          multipart: { name: `${kb.canary}-upload.txt`, text: kbText(kb.canary, rnd.int(8), randomUUID()) },
          allowed: kb.canary,
        });
        if (r?.status === 202) {
          const id = JSON.parse(r.text).data.document_id;
          createdDocs.set(id, kb.kbId);
          kb.uploads.push(id);
        }
      },
    ],
    [
      6,
      async () => {
        const { t, kb, key, from } = pickKb();
        if (!kb.uploads.length) return;
        const id = kb.uploads.splice(rnd.int(kb.uploads.length), 1)[0];
        const r = await call(nextReplica(), 'DELETE documents/:id', 'DELETE', `${kbPath(t, kb)}/documents/${id}`, { key, from, allowed: kb.canary });
        if (r?.status === 200) deletedDocs.add(id);
        else kb.uploads.push(id);
      },
    ],
    [
      4,
      async () => {
        // Create on one replica, use on the other, revoke, then the other replica must refuse it within 1 s.
        const t = rnd.pick(tenants);
        const kb = rnd.pick(t.kbs);
        const [x, y] = Math.random() < 0.5 ? [r0, r1] : [r1, r0];
        const auth = { key: t.wideKey, allowed: null, from: t.from };
        // The revoked key's 401s count as failed authentications of the address they come from: an address per cycle.
        const probeFrom = `127.77.${Math.floor(keyCycles / 250) % 250}.${(keyCycles % 250) + 1}`;
        keyCycles++;
        const c = await call(x, 'POST api-keys', 'POST', `/api/v1/tenants/${t.tenantId}/api-keys`, {
          ...auth,
          json: { key_name: `load-${randomBytes(3).toString('hex')}`, knowledge_base_ids: [kb.kbId], permissions: ['document:read', 'query:run'] },
        });
        if (c?.status !== 201) return;
        const created = JSON.parse(c.text).data;
        createdKeys.add(created.key_id);
        const use = await call(y, 'GET documents (new key, other replica)', 'GET', `${kbPath(t, kb)}/documents?limit=1`, { key: created.key, allowed: kb.canary, from: probeFrom });
        if (use && use.status !== 200) note(problems.revocation, `a new key was refused by the other replica before revocation: ${use.status} ${use.text.slice(0, 200)}`);
        const rv = await call(x, 'DELETE api-keys/:id', 'DELETE', `/api/v1/tenants/${t.tenantId}/api-keys/${created.key_id}`, auth);
        if (rv?.status !== 200) return;
        revokedKeys.add(created.key_id);
        const revokedAt = Date.now();
        for (;;) {
          const r = await call(y, 'GET documents (revoked key, other replica)', 'GET', `${kbPath(t, kb)}/documents?limit=1`, {
            key: created.key,
            allowed: kb.canary,
            from: probeFrom,
          });
          const lag = Date.now() - revokedAt;
          if (r?.status === 401) {
            revocationLagMs.push(lag);
            break;
          }
          if (lag > REVOKE_WITHIN_MS) {
            revocationLagMs.push(lag);
            note(problems.revocation, `revoked key ${created.key_id} still answered ${r?.status} by replica ${y.i} ${lag} ms after its revocation on replica ${x.i}`);
            break;
          }
          await sleep(20);
        }
      },
    ],
    [
      10,
      async () => {
        // A tenant's key on another tenant's paths: each must be 403 and counted as a cross-tenant attempt.
        const a = rnd.pick(tenants);
        let v = rnd.pick(tenants);
        if (v === a) v = tenants[(a.ti + 1) % tenants.length];
        if (v === a) return; // one tenant only
        const akb = rnd.pick(a.kbs);
        const key = Math.random() < 0.5 ? a.wideKey : akb.key;
        const vkb = rnd.pick(v.kbs);
        const vp = kbPath(v, vkb);
        const attempts = [
          ['POST', `${vp}/query`, { json: { query: rnd.pick(QUESTIONS), mode: rnd.pick(MODES), only_need_context: true } }],
          ['POST', `${vp}/query/stream`, { json: { query: rnd.pick(QUESTIONS), mode: rnd.pick(MODES) } }],
          ['GET', `${vp}/documents?limit=20`, {}],
          ['GET', `${vp}/documents/${rnd.pick(vkb.seedDocs ?? [randomUUID()])}`, {}],
          ['DELETE', `${vp}/documents/${rnd.pick(vkb.seedDocs ?? [randomUUID()])}`, {}],
          ['POST', `${vp}/documents/text`, { json: { text: kbText(akb.canary, 1, randomUUID()), file_source: 'hostile.txt' } }],
          ['GET', `/api/v1/tenants/${v.tenantId}/api-keys`, {}],
          ['DELETE', `/api/v1/tenants/${v.tenantId}/api-keys/${v.wideKeyId}`, {}],
          ['GET', `/api/v1/tenants/${v.tenantId}/knowledge-bases`, {}],
        ];
        const [method, p, extra] = rnd.pick(attempts);
        hostile.crossTenant.made++;
        const r = await call(nextReplica(), 'hostile: key on another tenant', method, p, { key, from: a.from, ...extra, allowed: null });
        if (r?.status === 403) hostile.crossTenant.refused++;
        else if (r) note(problems.hostileNotRefused, `cross-tenant ${method} ${p} → ${r.status} ${r.text.slice(0, 200)}`);
      },
    ],
    [
      8,
      async () => {
        // A KB-scoped key on its sibling KB's paths: 403, counted as a cross-KB attempt.
        const t = rnd.pick(tenants);
        const [own, sib] = [...t.kbs].sort(() => Math.random() - 0.5);
        const sp = kbPath(t, sib);
        const attempts = [
          ['POST', `${sp}/query`, { json: { query: rnd.pick(QUESTIONS), mode: rnd.pick(MODES) } }],
          ['GET', `${sp}/documents?limit=20`, {}],
          ['DELETE', `${sp}/documents/${rnd.pick(sib.seedDocs ?? [randomUUID()])}`, {}],
          ['POST', `${sp}/documents/text`, { json: { text: kbText(own.canary, 2, randomUUID()), file_source: 'sibling.txt' } }],
        ];
        const [method, p, extra] = rnd.pick(attempts);
        hostile.crossKb.made++;
        const r = await call(nextReplica(), 'hostile: KB key on its sibling KB', method, p, { key: own.key, from: t.from, ...extra, allowed: null });
        if (r?.status === 403) hostile.crossKb.refused++;
        else if (r) note(problems.hostileNotRefused, `cross-KB ${method} ${p} → ${r.status} ${r.text.slice(0, 200)}`);
      },
    ],
  ];
  const totalWeight = actions.reduce((s, [w]) => s + w, 0);
  const pickAction = () => {
    let x = Math.random() * totalWeight;
    for (const [w, fn] of actions) if ((x -= w) < 0) return fn;
    return actions[0][1];
  };

  // The fuzz, meanwhile.
  const fuzzStats = { sent: 0, statuses: {}, problems: [], problemCount: 0, perReplica: [0, 0], reached: new Set() };
  const fuzzLoop = async (deadline) => {
    while (Date.now() < deadline && fuzzStats.sent < FUZZ_MAX_REQUESTS) {
      const c = fz.nextCase();
      const replica = nextReplica();
      fuzzStats.sent++;
      fuzzStats.perReplica[replica.i]++;
      fuzzStats.reached.add(`${c.sent.method} ${c.template}`);
      fz.remember(c);
      c.sent.localAddress ??= '127.88.0.1'; // the fuzz's own client address (its logins spread over 127.88.1.x)
      try {
        const a = await send(replica.base, c.sent, REQUEST_TIMEOUT_MS);
        fuzzStats.statuses[a.status] = (fuzzStats.statuses[a.status] ?? 0) + 1;
        if (a.status >= 500) note(problems.fiveXx, `fuzz on replica ${replica.i}: ${c.label} (${c.sent.method} ${c.sent.path.slice(0, 160)}): ${a.status} ${a.text.slice(0, 300)}`);
        scanCanaries(`fuzz ${c.label}`, a.text, null);
        const p = fz.problemOf(c, a);
        if (p) {
          fuzzStats.problemCount++;
          if (fuzzStats.problems.length < 40) fuzzStats.problems.push(`${c.label} on replica ${replica.i} (${c.sent.method} ${c.sent.path.slice(0, 160)}): ${p}`);
        }
        // An admin PATCH may have suspended a fuzz tenant or cut its limits: undo it, as the spec does.
        for (const x of [FA, FB])
          if (a.status === 200 && c.sent.method === 'PATCH' && c.sent.path.toLowerCase().startsWith(`/api/v1/tenants/${x.tenantId}`)) await restore(x).catch(() => undefined);
      } catch (err) {
        fuzzStats.problemCount++;
        fuzzStats.statuses.network = (fuzzStats.statuses.network ?? 0) + 1;
        note(problems.network, `fuzz on replica ${replica.i}: ${c.label}: ${err.message}`);
      }
    }
  };

  log(`load: ${LOAD_SECONDS} s, ${CLIENTS} clients + ${FUZZ_CLIENTS} fuzz clients (seed ${FUZZ_SEED}, ${fz.operations} operations), both replicas in turn`);
  const loadStarted = Date.now();
  const deadline = loadStarted + LOAD_SECONDS * 1000;
  const ticker = setInterval(() => log(`  ${Math.round((Date.now() - loadStarted) / 1000)} s: ${requestsMade} load requests, ${fuzzStats.sent} fuzz requests`), 10_000);
  await Promise.all([
    ...Array.from({ length: CLIENTS }, async () => {
      while (Date.now() < deadline && requestsMade < MAX_REQUESTS) {
        try {
          await pickAction()();
        } catch (err) {
          note(problems.other, `client error: ${err.stack ?? err.message}`);
        }
      }
    }),
    ...Array.from({ length: FUZZ_CLIENTS }, () => fuzzLoop(deadline)),
  ]);
  clearInterval(ticker);
  const loadSeconds = (Date.now() - loadStarted) / 1000;
  for (const r of replicas) if (r.exited() !== null) note(problems.other, `replica ${r.i} exited (${r.exited()}) during the load`);

  // ------------------------------------------------------------ checks
  const metricsAfter = await Promise.all(replicas.map((r) => scrape(r, COUNTERS)));
  const counterDelta = (name, tenantFilter) => {
    let sum = 0;
    for (let i = 0; i < 2; i++) {
      for (const [tenant, v] of Object.entries(metricsAfter[i][name])) if (tenantFilter(tenant)) sum += v - (metricsBefore[i][name][tenant] ?? 0);
    }
    return sum;
  };
  const counters = {
    crossTenantLoad: counterDelta('cross_tenant_access_attempts', (t) => loadTenantSet.has(t)),
    crossKbLoad: counterDelta('cross_kb_access_attempts', (t) => loadTenantSet.has(t)),
    crossTenantFuzz: counterDelta('cross_tenant_access_attempts', (t) => t === FA.tenantId || t === FB.tenantId),
  };
  const rss = replicas.map((r) => ({ replica: r.i, pid: r.pid, ...procStatus(r.pid) }));
  const databaseReads = await Promise.all(replicas.map((r) => readTargets(r)));
  const loadAfter = os.loadavg();

  const after = await snapshot();
  const writeProblems = [];
  {
    const seedDocIds = new Map(before.docs.map((d) => [d.id, d.kb]));
    const nowDocs = new Map(after.docs.map((d) => [d.id, d.kb]));
    for (const [id, kb] of seedDocIds)
      if (nowDocs.get(id) !== kb) writeProblems.push(`seeded document ${id} of KB ${kb} is ${nowDocs.has(id) ? `in KB ${nowDocs.get(id)}` : 'gone'}`);
    for (const [id, kb] of nowDocs) {
      if (seedDocIds.has(id)) continue;
      if (!createdDocs.has(id)) writeProblems.push(`document ${id} in KB ${kb} was not written by the load to that KB`);
      else if (createdDocs.get(id) !== kb) writeProblems.push(`document ${id} uploaded to KB ${createdDocs.get(id)} is in KB ${kb}`);
      else if (deletedDocs.has(id)) writeProblems.push(`document ${id} was deleted (200) and is still there`);
    }
    for (const [id] of createdDocs) if (!deletedDocs.has(id) && !nowDocs.has(id)) writeProblems.push(`document ${id} uploaded by the load is gone without its delete`);
    const same = (a, b, what) => {
      const x = new Set(a.map((r) => r.id));
      const y = new Set(b.map((r) => r.id));
      if (x.size !== y.size || [...x].some((id) => !y.has(id))) writeProblems.push(`${what} of the load's tenants changed: ${x.size} → ${y.size}`);
    };
    same(before.kbs, after.kbs, 'KBs');
    same(before.users, after.users, 'users');
    const seedKeys = new Set(before.keys.map((k) => k.id));
    for (const k of after.keys) {
      if (!seedKeys.has(k.id) && !createdKeys.has(k.id)) writeProblems.push(`API key ${k.id} of tenant ${k.tenant} was not created by the load`);
      if (k.revoked && !revokedKeys.has(k.id)) writeProblems.push(`API key ${k.id} of tenant ${k.tenant} is revoked, not by the load`);
    }
  }
  // Per-KB document counts of the load's tenants: now vs seeded + the load's own uploads still present.
  const perKb = new Map();
  for (const d of before.docs) perKb.set(d.kb, { expected: (perKb.get(d.kb)?.expected ?? 0) + 1, actual: 0 });
  for (const [id, kb] of createdDocs) if (!deletedDocs.has(id)) perKb.set(kb, { expected: (perKb.get(kb)?.expected ?? 0) + 1, actual: 0 });
  for (const d of after.docs) {
    const e = perKb.get(d.kb) ?? { expected: 0, actual: 0 };
    e.actual++;
    perKb.set(d.kb, e);
  }
  const kbCountMismatches = [...perKb.entries()].filter(([, e]) => e.expected !== e.actual).map(([kb, e]) => `${kb}: ${e.expected} expected, ${e.actual}`);

  const fiveXx =
    [...routes.values()].reduce((s, r) => s + Object.entries(r.statuses).reduce((x, [st, n]) => x + (Number(st) >= 500 ? n : 0), 0), 0) +
    Object.entries(fuzzStats.statuses).reduce((x, [st, n]) => x + (Number(st) >= 500 ? n : 0), 0);
  const networkErrors = problems.network.length;
  const lagSorted = [...revocationLagMs].sort((a, b) => a - b);

  const routeRows = [...routes.entries()]
    .sort((a, b) => b[1].n - a[1].n)
    .map(([label, r]) => {
      const lat = [...r.lat].sort((a, b) => a - b);
      return { route: label, requests: r.n, statuses: r.statuses, p50_ms: +pct(lat, 50).toFixed(1), p99_ms: +pct(lat, 99).toFixed(1) };
    });
  const status429 = routeRows.reduce((s, r) => s + (r.statuses[429] ?? 0), 0);
  const checks = {
    foreign_canary_responses: { value: foreignCanaryResponses, responses_with_own_canary: ownCanaryResponses, ok: foreignCanaryResponses === 0 },
    five_xx: { value: fiveXx, ok: fiveXx === 0 },
    network_errors: { value: networkErrors, ok: networkErrors === 0 },
    hostile_cross_tenant: {
      made: hostile.crossTenant.made,
      refused_403: hostile.crossTenant.refused,
      cross_tenant_access_attempts: counters.crossTenantLoad,
      ok: hostile.crossTenant.made === hostile.crossTenant.refused && counters.crossTenantLoad === hostile.crossTenant.made,
    },
    hostile_cross_kb: {
      made: hostile.crossKb.made,
      refused_403: hostile.crossKb.refused,
      cross_kb_access_attempts: counters.crossKbLoad,
      ok: hostile.crossKb.made === hostile.crossKb.refused && counters.crossKbLoad === hostile.crossKb.made,
    },
    revocation_on_other_replica: {
      keys_revoked: revokedKeys.size,
      refused_within_1s: revocationLagMs.filter((l) => l <= REVOKE_WITHIN_MS).length,
      max_ms: lagSorted.length ? lagSorted[lagSorted.length - 1] : null,
      p95_ms: lagSorted.length ? pct(lagSorted, 95) : null,
      ok: problems.revocation.length === 0,
    },
    fuzz: {
      requests: fuzzStats.sent,
      operations_reached: fuzzStats.reached.size,
      operations: fz.operations,
      per_replica: fuzzStats.perReplica,
      statuses: fuzzStats.statuses,
      problems: fuzzStats.problemCount,
      ok: fuzzStats.problemCount === 0,
    },
    writes_outside_callers_kb: {
      problems: writeProblems.length,
      kb_count_mismatches: kbCountMismatches.length,
      kbs_checked: perKb.size,
      ok: writeProblems.length === 0 && kbCountMismatches.length === 0,
    },
    stream_errors: { value: streamErrors, ok: streamErrors === 0 },
    other: { value: problems.other.length, ok: problems.other.length === 0 },
  };
  const pass = Object.values(checks).every((c) => c.ok);
  const result = {
    command: `LOAD_SECONDS=${LOAD_SECONDS} npm run bench:load`,
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, loadavg_before: loadBefore.map((x) => +x.toFixed(2)), loadavg_after: loadAfter.map((x) => +x.toFixed(2)), node: process.version },
    config: {
      tenants: TENANTS,
      kbs_per_tenant: KBS,
      docs_per_kb: DOCS_PER_KB,
      load_seconds: LOAD_SECONDS,
      clients: CLIENTS,
      fuzz_clients: FUZZ_CLIENTS,
      fuzz_seed: FUZZ_SEED,
      replicas: 2,
    },
    seed: { documents: seedDocsTotal, seconds: +seedSeconds.toFixed(1) },
    load: {
      seconds: +loadSeconds.toFixed(1),
      requests: requestsMade,
      requests_per_second: +(requestsMade / loadSeconds).toFixed(1),
      status_429: status429,
      documents_uploaded: createdDocs.size,
      documents_deleted: deletedDocs.size,
      keys_created: createdKeys.size,
    },
    routes: routeRows,
    counters_fuzz_tenants: { cross_tenant_access_attempts: counters.crossTenantFuzz },
    rss: rss.map((r) => ({ replica: r.replica, peak_mb: +r.hwmMb.toFixed(0), now_mb: +r.rssMb.toFixed(0) })),
    database_reads: databaseReads,
    read_replica: READ_SERVER ? new URL(READ_SERVER).host : null,
    checks,
    problems: { ...problems, writes: writeProblems.slice(0, 50), kb_counts: kbCountMismatches.slice(0, 50), fuzz: fuzzStats.problems },
    pass,
    total_seconds: +((Date.now() - started) / 1000).toFixed(1),
  };
  if (!pass) keepLogs = true;

  if (JSON_OUT) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  else printReport(result);
  return pass;
}

function printReport(r) {
  const out = (s = '') => process.stdout.write(s + '\n');
  out(`load with leak canaries: ${r.config.tenants} tenants × ${r.config.kbs_per_tenant} KBs × ${r.config.docs_per_kb} seeded documents, 2 replicas, PostgreSQL server, Redis`);
  out(
    `machine: ${r.machine.cpus} cores, load average ${r.machine.loadavg_before.join(' ')} before, ${r.machine.loadavg_after.join(' ')} after (shared with other work); ${r.machine.node}`,
  );
  out(`seed: ${r.seed.documents} documents ingested in ${r.seed.seconds} s`);
  out(
    `load: ${r.load.seconds} s, ${r.config.clients} clients: ${r.load.requests} requests (${r.load.requests_per_second}/s), ${r.load.status_429} × 429; ${r.load.documents_uploaded} documents uploaded, ${r.load.documents_deleted} deleted, ${r.load.keys_created} keys created`,
  );
  out();
  out('| route | requests | statuses | p50 ms | p99 ms |');
  out('|---|---|---|---|---|');
  for (const x of r.routes)
    out(
      `| ${x.route} | ${x.requests} | ${Object.entries(x.statuses)
        .map(([s, n]) => `${n}× ${s}`)
        .join(', ')} | ${x.p50_ms} | ${x.p99_ms} |`,
    );
  out();
  const c = r.checks;
  const mark = (ok) => (ok ? 'ok' : 'FAIL');
  out(
    `responses with a foreign canary: ${c.foreign_canary_responses.value} [${mark(c.foreign_canary_responses.ok)}] (${c.foreign_canary_responses.responses_with_own_canary} responses carried their own KB's canary)`,
  );
  out(`5xx (load + fuzz): ${c.five_xx.value} [${mark(c.five_xx.ok)}]; network errors: ${c.network_errors.value} [${mark(c.network_errors.ok)}]`);
  out(
    `hostile cross-tenant calls: ${c.hostile_cross_tenant.made} made, ${c.hostile_cross_tenant.refused_403} × 403, cross_tenant_access_attempts +${c.hostile_cross_tenant.cross_tenant_access_attempts} (both replicas) [${mark(c.hostile_cross_tenant.ok)}]`,
  );
  out(
    `hostile cross-KB calls: ${c.hostile_cross_kb.made} made, ${c.hostile_cross_kb.refused_403} × 403, cross_kb_access_attempts +${c.hostile_cross_kb.cross_kb_access_attempts} [${mark(c.hostile_cross_kb.ok)}]`,
  );
  out(
    `revoked keys refused by the other replica: ${c.revocation_on_other_replica.refused_within_1s}/${c.revocation_on_other_replica.keys_revoked} within 1 s (max ${c.revocation_on_other_replica.max_ms} ms, p95 ${c.revocation_on_other_replica.p95_ms} ms) [${mark(c.revocation_on_other_replica.ok)}]`,
  );
  out(
    `fuzz (seed ${r.config.fuzz_seed}): ${c.fuzz.requests} requests (${c.fuzz.per_replica.join(' + ')} per replica) reaching ${c.fuzz.operations_reached}/${c.fuzz.operations} operations, statuses ${Object.entries(
      c.fuzz.statuses,
    )
      .map(([s, n]) => `${s}×${n}`)
      .join(' ')}, ${c.fuzz.problems} problems [${mark(c.fuzz.ok)}]; fuzz tenants' cross_tenant_access_attempts +${r.counters_fuzz_tenants.cross_tenant_access_attempts}`,
  );
  out(
    `writes outside the caller's KB: ${c.writes_outside_callers_kb.problems} problems, ${c.writes_outside_callers_kb.kb_count_mismatches} per-KB count mismatches over ${c.writes_outside_callers_kb.kbs_checked} KBs [${mark(c.writes_outside_callers_kb.ok)}]`,
  );
  out(`streams without their done line: ${c.stream_errors.value} [${mark(c.stream_errors.ok)}]; other problems: ${c.other.value} [${mark(c.other.ok)}]`);
  out(
    `read-only work by where it ran (database_reads)${r.read_replica ? `, streaming replica ${r.read_replica}` : ', no read replica'}: ${r.database_reads.map((x, i) => `replica ${i} primary ${x.primary}, replica ${x.replica}`).join('; ')}`,
  );
  out(`peak RSS (VmHWM): ${r.rss.map((x) => `replica ${x.replica} ${x.peak_mb} MB (now ${x.now_mb} MB)`).join(', ')}`);
  for (const [k, list] of Object.entries(r.problems)) if (list.length) out(`${k}:\n  ${list.slice(0, 20).join('\n  ')}`);
  out(r.pass ? 'PASS' : 'FAIL');
}

main()
  .then(async (pass) => {
    await cleanup();
    agent.destroy();
    process.exit(pass ? 0 : 1);
  })
  .catch(async (err) => {
    console.error(err);
    keepLogs = true;
    await cleanup();
    agent.destroy();
    process.exit(2);
  });
