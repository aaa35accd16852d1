#!/usr/bin/env node
/**
 * Query latency under load (issue 4 "Performance"): KBS knowledge bases of
 * CHUNKS_PER_KB chunks each, local providers, CLIENTS concurrent clients
 * to random KBs, three ways, interleaved in ROUNDS rounds so that the
 * machine's load drifts equally over all three:
 *  - http: POST …/query {mode, only_need_context: true, chunk_top_k: 20};
 *  - raw vector: the raw SQL of the same vector search (top 40, the plan the
 *    engine picks) through a plain pg pool of CLIENTS connections;
 *  - raw engine SQL: what naive mode sends — one message holding the tenant
 *    role setup and the repository's own search statement (vector and
 *    full-text search; DatabaseService.readAsTenant) — with precomputed
 *    query vectors.
 *  - bare http (server runs only): the same message through the smallest
 *    Node HTTP server (bench/bare-http-server.js: node:http + pg, the query
 *    vector sent by the client) — the floor any Node server pays.
 * The ratios http / raw vector and http / raw engine SQL at p50 and p99 are
 * the figures: the first is the whole cost over the bare vector search, the
 * second what the server adds on top of the SQL it needs; http / bare http
 * is what Strata's pipeline adds over that floor.
 *
 * Runs on DATABASE_URL when set (the real server; a database named
 * strata_bench_<ts> is created on it and dropped at the end; the server runs
 * as its own process, as deployed), else on in-memory PGlite in-process. The corpus is loaded straight into the chunks table (with
 * the local embedding of each chunk): this measures queries, not ingestion;
 * bench/ingest-rss.js and bench/retrieval-squad.js measure ingestion.
 *
 * BASELINE_DIST (server runs only): the dist folder of another build (e.g.
 * the commit before a change, built in a worktree and its dist copied inside
 * this checkout so it finds node_modules) runs as a second server on the same
 * database, and 'http baseline' sends it the same requests, interleaved with
 * the others: the before/after ratio of one run.
 *
 * CPU per request counts this run's own processes only: its server
 * processes and the PostgreSQL backends of its database, listed before and
 * after each phase (not the postmaster or other databases' backends).
 *
 * The server's DATABASE_POOL_SIZE is CLIENTS too, like the raw baseline's pool.
 * Env: KBS (100), CHUNKS_PER_KB (1000), CLIENTS (20), DURATION (15 s per way in
 * all), ROUNDS (3), MODE (naive),
 * KEEP_DB (keep the server database for a look with psql).
 */
'use strict';

require('reflect-metadata');
const path = require('node:path');
const { Pool } = require('pg');

const dist = path.join(__dirname, '..', 'dist', 'src');
const { fork } = require('node:child_process');
const {
  bootBenchApp,
  spawnBenchServer,
  freshDatabaseUrl,
  freePort,
  keepAlivePoster,
  cpuTicks,
  cpuSecondsBetween,
  tenantRunner,
  insertChunks,
  syntheticProse,
  percentile,
} = require('./lib');
const { DatabaseService, tenantReadMessage } = require(path.join(dist, 'database', 'database.service'));
const { chunkSearchStatements } = require(path.join(dist, 'rag', 'retrieval', 'retrieval.repository'));
const { textSearchTerms } = require(path.join(dist, 'rag', 'retrieval', 'query-engine'));
const { LocalEmbeddingProvider } = require(path.join(dist, 'rag', 'providers', 'local-embedding.provider'));
const { EXACT_SEARCH_MAX_ROWS } = require(path.join(dist, 'rag', 'retrieval', 'retrieval.repository'));

const KBS = Number(process.env.KBS ?? 100);
const PER_KB = Number(process.env.CHUNKS_PER_KB ?? 1000);
const CLIENTS = Number(process.env.CLIENTS ?? 20);
const DURATION = Number(process.env.DURATION ?? 15);
const ROUNDS = Math.max(1, Number(process.env.ROUNDS ?? 3));
const MODE = process.env.MODE ?? 'naive';
const DIM = Number(process.env.EMBEDDING_DIM ?? 1024);

const { pick, sentence } = syntheticProse(7);
const pct = percentile;

async function load(asTenant, analyze, embedder, call, token) {
  const kbs = [];
  const tenant = (await call('POST', '/api/v1/tenants', { tenant_name: `bench-${Date.now()}` }, token)).data.tenant_id;
  for (let k = 0; k < KBS; k++) kbs.push((await call('POST', `/api/v1/tenants/${tenant}/knowledge-bases`, { kb_name: `kb-${k}` }, token)).data.kb_id);
  const started = Date.now();
  for (const kb of kbs) {
    await asTenant(tenant, async (q) => {
      await insertChunks(q, { tenant, kb, count: PER_KB, filePath: 'bench.txt', text: () => `${sentence()} ${sentence()} ${sentence()}`, embed: (c) => embedder.embedOne(c) });
    });
  }
  // Statistics as a server has them once autovacuum caught up (the worker's PlannerStatistics does this after ingestion).
  await analyze('ANALYZE chunks, documents');
  return { tenant, kbs, loadSeconds: (Date.now() - started) / 1000 };
}

/** The HTTP clients: node:http over keep-alive connections, one per client loop. */
const postJson = keepAlivePoster(CLIENTS);

/**
 * The processes measured: this run's server processes (the app, the baseline, the bare server) and the
 * PostgreSQL backends connected to this run's database (refreshed before each phase) — not every process whose
 * name matches, which on a shared machine counts other people's servers and databases too.
 */
const measured = { server: new Set(), postgres: new Set(), refreshPostgres: async () => undefined };

/** Runs `fn` from CLIENTS concurrent loops for `seconds`, adding latencies (ms) to `into`. */

/** CPU of the bench itself, the app server process and the PostgreSQL server, for the "where does the time go" line. */
function cpuSnapshot() {
  const own = process.cpuUsage();
  return { bench: (own.user + own.system) / 1e6, server: cpuTicks(measured.server), postgres: cpuTicks(measured.postgres) };
}

function cpuDelta(before, after) {
  return { bench: after.bench - before.bench, server: cpuSecondsBetween(before.server, after.server), postgres: cpuSecondsBetween(before.postgres, after.postgres) };
}

async function run(label, seconds, fn, into) {
  await measured.refreshPostgres();
  const before = cpuSnapshot();
  const deadline = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (Date.now() < deadline) {
        const s = process.hrtime.bigint();
        try {
          await fn();
          into.latencies.push(Number(process.hrtime.bigint() - s) / 1e6);
        } catch (err) {
          if (into.errors++ < 3) console.error(label, err.message);
        }
      }
    }),
  );
  // Backends the server opened during the phase count from their start (cpuSecondsBetween counts a new pid's ticks whole).
  await measured.refreshPostgres();
  const used = cpuDelta(before, cpuSnapshot());
  into.cpu = into.cpu ?? { bench: 0, server: 0, postgres: 0 };
  for (const k of Object.keys(into.cpu)) into.cpu[k] += used[k];
}

function summary(label, into, seconds) {
  const l = [...into.latencies].sort((a, b) => a - b);
  const perRequest = (cpuSeconds) => (1000 * cpuSeconds) / Math.max(1, l.length);
  const cpu = Object.fromEntries(Object.entries(into.cpu ?? {}).map(([k, v]) => [k, perRequest(v)]));
  const r = { n: l.length, rps: l.length / seconds, p50: pct(l, 50), p99: pct(l, 99), errors: into.errors, cpuMsPerRequest: cpu };
  console.log(
    `${label.padEnd(15)} ${r.n} requests, ${r.rps.toFixed(0)}/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, errors ${r.errors}; ` +
      `CPU ms/request: bench ${cpu.bench?.toFixed(2)}, app server ${cpu.server?.toFixed(2)}, PostgreSQL ${cpu.postgres?.toFixed(2)}`,
  );
  return r;
}

/**
 * A small KB in a big table: exact search (KB filter first, then sort) versus
 * the HNSW index with and without pgvector's iterative scan. Counts how many
 * of the requested 40 rows come back and how many of the exact top 40 each
 * plan finds (recall), and the mean latency, one query at a time.
 */
async function exactVersusIndex(asTenant, tenant, kbs, vectors) {
  const q = (distance) => `SELECT c.id FROM chunks c WHERE c.tenant_id = $1 AND c.kb_id = $2 ORDER BY ${distance} LIMIT 40`;
  const plans = {
    exact: { sql: q('(c.embedding <=> $3::vector) + 0'), setup: [] },
    hnsw: { sql: q('c.embedding <=> $3::vector'), setup: [`SELECT set_config('hnsw.iterative_scan', 'off', true)`] },
    hnsw_iterative: { sql: q('c.embedding <=> $3::vector'), setup: [`SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true), set_config('hnsw.ef_search', '80', true)`] },
  };
  const out = {};
  const samples = 60;
  const truth = [];
  for (const [name, plan] of Object.entries(plans)) {
    let rows = 0;
    let recall = 0;
    let ms = 0;
    for (let i = 0; i < samples; i++) {
      const kb = kbs[i % kbs.length];
      const v = vectors[i % vectors.length];
      const s = process.hrtime.bigint();
      const ids = await asTenant(tenant, async (x) => {
        for (const sql of plan.setup) await x.query(sql);
        return (await x.query(plan.sql, [tenant, kb, v])).map((r) => r.id);
      });
      ms += Number(process.hrtime.bigint() - s) / 1e6;
      if (name === 'exact') truth[i] = new Set(ids);
      rows += ids.length;
      recall += ids.filter((id) => truth[i].has(id)).length / Math.max(1, truth[i].size);
    }
    out[name] = { rowsPer40: rows / samples, recall: recall / samples, meanMs: ms / samples };
    console.log(`${name.padEnd(15)} returns ${(rows / samples).toFixed(1)}/40 rows, recall@40 ${((100 * recall) / samples).toFixed(1)} %, ${(ms / samples).toFixed(2)} ms/query`);
  }
  return out;
}

/** DatabaseService.readAsTenant's message (setup + statements, values bound client-side) on a plain pg pool, or the app's own on PGlite. */
function oneMessageRunner(pool, app) {
  if (!pool) return (tenant, statements) => app.get(DatabaseService).readAsTenant(tenant, statements);
  return (tenant, statements) => pool.query(tenantReadMessage(tenant, statements));
}

/** bench/bare-http-server.js as its own process, ready when it says so. */
async function startBareServer(url) {
  const port = await freePort();
  const child = fork(path.join(__dirname, 'bare-http-server.js'), [], { env: { ...process.env, DATABASE_URL: url, PORT: String(port), DATABASE_POOL_SIZE: String(CLIENTS) } });
  await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`bare-http-server exited with ${code}`)));
  });
  return { child, base: `http://127.0.0.1:${port}`, close: () => new Promise((r) => (child.once('exit', r), child.kill('SIGTERM'))) };
}

async function main() {
  const database = await freshDatabaseUrl();
  // The server gets as many connections as the raw baseline's pool (DATABASE_POOL_SIZE overrides).
  const env = {
    MAX_KB_PER_TENANT: String(KBS + 10),
    WORKER_CONCURRENCY: '0',
    DATABASE_POOL_SIZE: process.env.DATABASE_POOL_SIZE ?? String(CLIENTS),
    ...(database.url ? { DATABASE_URL: database.url } : { DATA_DIR: 'memory://' }),
  };
  const server = database.url ? await spawnBenchServer(env) : await bootBenchApp(env);
  if (process.env.BASELINE_DIST && !database.url) throw new Error('BASELINE_DIST needs DATABASE_URL (a second server process on the same database)');
  const baseline = process.env.BASELINE_DIST ? await spawnBenchServer(env, { dist: process.env.BASELINE_DIST }) : null;
  const bare = database.url ? await startBareServer(database.url) : null;
  const { call, admin } = server;
  const pool = database.url ? new Pool({ connectionString: database.url, max: CLIENTS }) : null;
  measured.server = new Set([server.child, baseline?.child, bare?.child].filter(Boolean).map((c) => String(c.pid)));
  if (pool)
    measured.refreshPostgres = async () => {
      const r = await pool.query('SELECT pid FROM pg_stat_activity WHERE datname = current_database()');
      measured.postgres = new Set(r.rows.map((x) => String(x.pid)));
    };
  const asTenant = tenantRunner(pool, server.app);
  const readAsTenant = oneMessageRunner(pool, server.app);
  try {
    const embedder = new LocalEmbeddingProvider(DIM);
    const analyze = pool ? (sql) => pool.query(sql) : (sql) => server.app.get(DatabaseService).dataSource.query(sql);
    const { tenant, kbs, loadSeconds } = await load(asTenant, analyze, embedder, call, admin);
    const key = (await call('POST', `/api/v1/tenants/${tenant}/api-keys`, { key_name: 'bench', knowledge_base_ids: ['*'], permissions: ['query:run'] }, admin)).data.key;
    console.log(
      `${database.url ? 'PostgreSQL server (app in its own process)' : 'PGlite (in-process)'}: ${KBS} KBs × ${PER_KB} chunks loaded in ${loadSeconds.toFixed(1)} s; ${CLIENTS} clients, ${DURATION} s per way in ${ROUNDS} rounds, mode ${MODE}`,
    );
    const questions = Array.from({ length: 200 }, () => `${pick()} ${pick()} ${pick()} ${pick()}?`);
    const vectors = questions.map((q) => `[${embedder.embedOne(q).join(',')}]`);
    const auth = { 'x-api-key': key };
    const randomKb = () => kbs[Math.floor(Math.random() * kbs.length)];
    const randomI = () => Math.floor(Math.random() * questions.length);
    // Warm up: every KB's instance, the query plans.
    for (const kb of kbs) await call('POST', `/api/v1/tenants/${tenant}/knowledge-bases/${kb}/query`, { query: questions[randomI()], mode: MODE, only_need_context: true }, auth);

    const exact = PER_KB <= EXACT_SEARCH_MAX_ROWS;
    // The bare vector search at its best: each row's distance computed once (exact: sorted by that
    // column; index: ordered by the operator the HNSW index serves), text read for the rows kept.
    const sql = `WITH nearest AS MATERIALIZED (
        SELECT c.id, ${exact ? '(c.embedding <=> $3::vector) + 0' : 'c.embedding <=> $3::vector'} AS distance
        FROM chunks c WHERE c.tenant_id = $1 AND c.kb_id = $2 ORDER BY ${exact ? 'distance' : 'c.embedding <=> $3::vector'} LIMIT $4)
      SELECT n.id, c.document_id, d.file_path, c.content, 1 - n.distance AS score
      FROM nearest n JOIN chunks c ON c.tenant_id = $1 AND c.kb_id = $2 AND c.id = n.id
      JOIN documents d ON d.tenant_id = $1 AND d.kb_id = $2 AND d.id = c.document_id ORDER BY n.distance`;
    const rawQuery = pool ? (p) => pool.query(sql, p) : (p) => server.app.get(DatabaseService).dataSource.query(sql, p);
    const httpTo = (base) => () =>
      postJson(base, `/api/v1/tenants/${tenant}/knowledge-bases/${randomKb()}/query`, { query: questions[randomI()], mode: MODE, only_need_context: true, chunk_top_k: 20 }, auth);
    const ways = {
      http: httpTo(server.base),
      ...(baseline ? { 'http baseline': httpTo(baseline.base) } : {}),
      ...(bare
        ? {
            'bare http': () => {
              const i = randomI();
              return postJson(bare.base, '/', { tenant, kb: randomKb(), vector: vectors[i], terms: textSearchTerms(questions[i]), limit: 40, exact });
            },
          }
        : {}),
      'raw vector': () => rawQuery([tenant, randomKb(), vectors[randomI()], 40]),
      // What the engine sends for a naive query: the tenant setup and its one search statement as one message.
      'raw engine SQL': () => {
        const i = randomI();
        const statements = chunkSearchStatements(tenant, randomKb(), { vector: vectors[i], terms: textSearchTerms(questions[i]), limit: 40, exact });
        return readAsTenant(tenant, statements);
      },
    };
    const acc = Object.fromEntries(Object.keys(ways).map((k) => [k, { latencies: [], errors: 0 }]));
    for (let r = 0; r < ROUNDS; r++) for (const [label, fn] of Object.entries(ways)) await run(label, DURATION / ROUNDS, fn, acc[label]);
    const results = Object.fromEntries(Object.keys(ways).map((k) => [k, summary(k, acc[k], DURATION)]));
    const { http, 'raw vector': raw, 'raw engine SQL': engineSql, 'http baseline': before } = results;
    if (before)
      console.log(
        `ratio http/http baseline:  p50 ${(http.p50 / before.p50).toFixed(2)}×, p99 ${(http.p99 / before.p99).toFixed(2)}×, CPU per request ${(http.cpuMsPerRequest.server / before.cpuMsPerRequest.server).toFixed(2)}×`,
      );
    console.log(`ratio http/raw vector:     p50 ${(http.p50 / raw.p50).toFixed(2)}×, p99 ${(http.p99 / raw.p99).toFixed(2)}×`);
    console.log(`ratio http/raw engine SQL: p50 ${(http.p50 / engineSql.p50).toFixed(2)}×, p99 ${(http.p99 / engineSql.p99).toFixed(2)}×`);
    const scan = await exactVersusIndex(asTenant, tenant, kbs, vectors);
    console.log(
      JSON.stringify({
        server: !!database.url,
        kbs: KBS,
        perKb: PER_KB,
        clients: CLIENTS,
        mode: MODE,
        http,
        raw,
        engineSql,
        bareHttp: results['bare http'],
        baseline: before,
        scan,
      }),
    );
  } finally {
    await pool?.end();
    await server.close();
    await baseline?.close();
    await bare?.close();
    await database.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
