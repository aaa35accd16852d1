#!/usr/bin/env node
/**
 * Query latency under load (issue 4 "Performance"): KBS knowledge bases of
 * CHUNKS_PER_KB chunks each, local providers, CLIENTS concurrent clients
 * sending POST …/query {mode, only_need_context: true} for DURATION seconds
 * to random KBs; then the raw SQL of the same vector search (the query the
 * repository runs, same plan choice) through a plain pg pool of CLIENTS
 * connections. The ratio of the two p50/p99 is the figure.
 *
 * Runs on DATABASE_URL when set (the real server; a database named
 * strata_bench_<ts> is created on it and dropped at the end), else on
 * in-memory PGlite. The corpus is loaded straight into the chunks table (with
 * the local embedding of each chunk): this measures queries, not ingestion;
 * bench/ingest-rss.js and bench/retrieval-squad.js measure ingestion.
 *
 * Env: KBS (100), CHUNKS_PER_KB (1000), CLIENTS (20), DURATION (15), MODE (naive).
 */
'use strict';

require('reflect-metadata');
const path = require('node:path');
const { Client, Pool } = require('pg');

const dist = path.join(__dirname, '..', 'dist', 'src');
const { bootBenchApp } = require('./lib');
const { DatabaseService } = require(path.join(dist, 'database', 'database.service'));
const { LocalEmbeddingProvider } = require(path.join(dist, 'rag', 'providers', 'local-embedding.provider'));
const { EXACT_SEARCH_MAX_ROWS } = require(path.join(dist, 'rag', 'retrieval', 'retrieval.repository'));

const KBS = Number(process.env.KBS ?? 100);
const PER_KB = Number(process.env.CHUNKS_PER_KB ?? 1000);
const CLIENTS = Number(process.env.CLIENTS ?? 20);
const DURATION = Number(process.env.DURATION ?? 15);
const MODE = process.env.MODE ?? 'naive';
const DIM = Number(process.env.EMBEDDING_DIM ?? 1024);

const WORDS = (
  'river harbour engine voltage protein galaxy treaty monsoon glacier sonnet algorithm volcano tariff enzyme orbit cathedral ' +
  'ledger turbine pigment fossil canyon reactor quartz bishop citadel compiler dialect equator famine granite harvest isotope ' +
  'jasmine kernel lantern magnet nebula oasis parliament quarry reef satellite tundra utopia vaccine whale xenon yeast zenith'
).split(' ');
let seed = 7;
const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
const pick = () => WORDS[Math.floor(rnd() * WORDS.length)];
const sentence = () => Array.from({ length: 12 }, pick).join(' ') + '.';
const pct = (a, p) => a[Math.min(a.length - 1, Math.floor((p / 100) * a.length))];

async function freshDatabaseUrl() {
  if (!process.env.DATABASE_URL) return { url: null, drop: async () => undefined };
  const name = `strata_bench_${Date.now()}`;
  const admin = new Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(process.env.DATABASE_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const c = new Client({ connectionString: process.env.DATABASE_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

async function load(t, embedder, call, token) {
  const kbs = [];
  const tenant = (await call('POST', '/api/v1/tenants', { tenant_name: `bench-${Date.now()}` }, token)).data.tenant_id;
  for (let k = 0; k < KBS; k++) kbs.push((await call('POST', `/api/v1/tenants/${tenant}/knowledge-bases`, { kb_name: `kb-${k}` }, token)).data.kb_id);
  const db = t.get(DatabaseService);
  const started = Date.now();
  for (const kb of kbs) {
    await db.withTenant(tenant, async (q) => {
      const [doc] = await q.query(
        `INSERT INTO documents (tenant_id, kb_id, file_path, content_hash, content, size_bytes, status, chunks_count, track_id)
         VALUES ($1, $2, 'bench.txt', md5(random()::text), 'bench', 5, 'processed', $3, 'bench') RETURNING id`,
        [tenant, kb, PER_KB],
      );
      for (let i = 0; i < PER_KB; i += 250) {
        const n = Math.min(250, PER_KB - i);
        const contents = Array.from({ length: n }, () => `${sentence()} ${sentence()} ${sentence()}`);
        const vectors = contents.map((c) => `[${embedder.embedOne(c).join(',')}]`);
        await q.query(
          `INSERT INTO chunks (tenant_id, kb_id, document_id, chunk_index, content, tokens, embedding)
           SELECT $1, $2, $3, $4 + u.o - 1, u.content, 40, u.embedding::vector
           FROM unnest($5::text[], $6::text[]) WITH ORDINALITY AS u(content, embedding, o)`,
          [tenant, kb, doc.id, i, contents, vectors],
        );
      }
    });
  }
  return { tenant, kbs, loadSeconds: (Date.now() - started) / 1000 };
}

async function run(label, fn) {
  const latencies = [];
  const deadline = Date.now() + DURATION * 1000;
  let errors = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (Date.now() < deadline) {
        const s = process.hrtime.bigint();
        try {
          await fn();
          latencies.push(Number(process.hrtime.bigint() - s) / 1e6);
        } catch (err) {
          if (errors++ < 3) console.error(label, err.message);
        }
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const r = { n: latencies.length, rps: latencies.length / DURATION, p50: pct(latencies, 50), p99: pct(latencies, 99), errors };
  console.log(`${label.padEnd(10)} ${r.n} requests, ${r.rps.toFixed(0)}/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, errors ${errors}`);
  return r;
}

/**
 * A small KB in a big table: exact search (KB filter first, then sort) versus
 * the HNSW index with and without pgvector's iterative scan. Counts how many
 * of the requested 40 rows come back and how many of the exact top 40 each
 * plan finds (recall), and the mean latency, one query at a time.
 */
async function exactVersusIndex(db, tenant, kbs, vectors) {
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
      const ids = await db.withTenant(tenant, async (x) => {
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

async function main() {
  const database = await freshDatabaseUrl();
  const { app, call, admin } = await bootBenchApp({
    MAX_KB_PER_TENANT: String(KBS + 10),
    WORKER_CONCURRENCY: '0',
    ...(database.url ? { DATABASE_URL: database.url } : { DATA_DIR: 'memory://' }),
  });
  try {
    const embedder = new LocalEmbeddingProvider(DIM);
    const { tenant, kbs, loadSeconds } = await load(app, embedder, call, admin);
    const key = (await call('POST', `/api/v1/tenants/${tenant}/api-keys`, { key_name: 'bench', knowledge_base_ids: ['*'], permissions: ['query:run'] }, admin)).data.key;
    console.log(`${database.url ? 'PostgreSQL server' : 'PGlite'}: ${KBS} KBs × ${PER_KB} chunks loaded in ${loadSeconds.toFixed(1)} s; ${CLIENTS} clients, ${DURATION} s per run, mode ${MODE}`);
    const questions = Array.from({ length: 200 }, () => `${pick()} ${pick()} ${pick()} ${pick()}?`);
    const auth = { 'x-api-key': key };
    const randomKb = () => kbs[Math.floor(Math.random() * kbs.length)];
    const randomQ = () => questions[Math.floor(Math.random() * questions.length)];
    // Warm up: every KB's instance, the query plans.
    for (const kb of kbs) await call('POST', `/api/v1/tenants/${tenant}/knowledge-bases/${kb}/query`, { query: randomQ(), mode: MODE, only_need_context: true }, auth);

    const http = await run('http', () => call('POST', `/api/v1/tenants/${tenant}/knowledge-bases/${randomKb()}/query`, { query: randomQ(), mode: MODE, only_need_context: true, chunk_top_k: 20 }, auth));

    // The same vector search as raw SQL, same plan choice, precomputed query vectors.
    const vectors = questions.map((q) => `[${embedder.embedOne(q).join(',')}]`);
    const exact = PER_KB <= EXACT_SEARCH_MAX_ROWS;
    const distance = exact ? `(c.embedding <=> $3::vector) + 0` : `c.embedding <=> $3::vector`;
    const sql = `WITH nearest AS MATERIALIZED (
        SELECT c.id, c.document_id, c.content, c.embedding <=> $3::vector AS distance
        FROM chunks c WHERE c.tenant_id = $1 AND c.kb_id = $2 ORDER BY ${distance} LIMIT $4)
      SELECT n.id, n.document_id, d.file_path, n.content, 1 - n.distance AS score
      FROM nearest n JOIN documents d ON d.tenant_id = $1 AND d.kb_id = $2 AND d.id = n.document_id ORDER BY n.distance`;
    let raw;
    if (database.url) {
      const pool = new Pool({ connectionString: database.url, max: CLIENTS });
      raw = await run('raw sql', () => pool.query(sql, [tenant, randomKb(), vectors[Math.floor(Math.random() * vectors.length)], 40]));
      await pool.end();
    } else {
      const db = app.get(DatabaseService);
      raw = await run('raw sql', () => db.dataSource.query(sql, [tenant, randomKb(), vectors[Math.floor(Math.random() * vectors.length)], 40]));
    }
    console.log(`ratio http/raw: p50 ${(http.p50 / raw.p50).toFixed(2)}×, p99 ${(http.p99 / raw.p99).toFixed(2)}×`);
    const scan = await exactVersusIndex(app.get(DatabaseService), tenant, kbs, vectors);
    console.log(JSON.stringify({ server: !!database.url, kbs: KBS, perKb: PER_KB, clients: CLIENTS, mode: MODE, http, raw, scan }));
  } finally {
    await app.close();
    await database.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
