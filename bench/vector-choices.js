#!/usr/bin/env node
/**
 * The vector representation as a measured choice (issue 14): embedding width
 * (DIMS), element type (float32 `vector` or float16 `halfvec`), column
 * storage (default EXTENDED = TOASTed above ~2 KB per row, MAIN, PLAIN) and
 * exact scan vs HNSW with iterative scan, on the SQuAD KB
 * (../shared/datasets/squad-v2-dev-a; 294 passages, 400 questions).
 *
 * For each width, one app is booted in-process (in-memory PGlite, or on
 * DATABASE_URL: a fresh database strata_vec_<dim>, dropped at the end) with
 * EMBEDDING_DIM=<dim>, and the KB is ingested once. Then:
 *  1. Quality: every question in every mode through the HTTP API, as
 *     bench/retrieval-squad.js does (hit@1/5/10 of the gold passage), with the
 *     columns as float32 `vector(dim)`, then again after the columns are
 *     converted in place to `halfvec(dim)` (HALF_QUALITY_DIMS). Storage
 *     settings cannot change results (same values), so they get no quality run.
 *  2. Latency: before the conversion, the KB's chunks, entities and relations
 *     are copied into one schema per variant (vb_<dim>_<variant>: type and
 *     storage set before the copy, the same B-tree indexes, HNSW indexes for
 *     the default-storage variants only). The searches are the repository's
 *     own SQL (dist RetrievalRepository: searchChunks without text terms,
 *     searchEntities, searchRelations at top_k 40), run as the table owner
 *     (no RLS: identical for every variant) with search_path pointing at the
 *     variant's schema, query vector = the question's embedding. Rounds are
 *     interleaved: each question is searched in every variant before the
 *     next question. Reported: median ms per search, ratio to float32-1024
 *     EXTENDED exact (today), HNSW recall of the exact top 40, and the exact
 *     top-40 overlap of halfvec with float32 at the same width.
 *
 * `npm run bench:vectors`. Env: DIMS (1024,512,256), HALF_QUALITY_DIMS (none),
 * MODES, QUESTIONS (400; 0 = latency only), CONCURRENCY (4), ROUNDS (3),
 * SAMPLE (questions per latency round, 25), DATABASE_URL (PostgreSQL
 * instead of PGlite).
 */
'use strict';

require('reflect-metadata');
const fs = require('node:fs');
const path = require('node:path');
const { bootBenchApp } = require('./lib');

const DIR = process.env.SQUAD_DIR ?? path.join(__dirname, '..', '..', 'shared', 'datasets', 'squad-v2-dev-a');
const DIMS = (process.env.DIMS ?? '1024,512,256').split(',').map(Number);
const HALF_QUALITY_DIMS = (process.env.HALF_QUALITY_DIMS ?? '').split(',').filter(Boolean).map(Number);
const MODES = (process.env.MODES ?? 'naive,local,global,hybrid,mix').split(',');
const LIMIT = Number(process.env.QUESTIONS ?? 400);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 4);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const SAMPLE = Number(process.env.SAMPLE ?? 25);
const TOP_K = 40;
const BASE_URL = process.env.DATABASE_URL;
const TABLES = ['chunks', 'entities', 'relations'];
/** Variants per width: element type, storage (null = the type's default, EXTENDED), whether HNSW indexes are built. */
const VARIANTS = [
  { name: 'f32', type: 'vector', storage: null, hnsw: true },
  { name: 'f32_main', type: 'vector', storage: 'MAIN', hnsw: false },
  { name: 'f32_plain', type: 'vector', storage: 'PLAIN', hnsw: false },
  { name: 'half', type: 'halfvec', storage: null, hnsw: false },
  { name: 'half_plain', type: 'halfvec', storage: 'PLAIN', hnsw: false },
];

const dist = (...p) => require(path.join(__dirname, '..', 'dist', 'src', ...p));
const readJsonl = (f) =>
  fs
    .readFileSync(path.join(DIR, f), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));

async function pool(items, n, fn) {
  let i = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (i < items.length) await fn(items[i++]);
    }),
  );
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};

async function adminQuery(url, sql) {
  const { Client } = require('pg');
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

function dbUrlFor(dim) {
  const u = new URL(BASE_URL);
  u.pathname = `/strata_vec_${dim}`;
  return u.toString();
}

/** Boots an app whose schema is created at `dim` (migrations read EMBEDDING_DIM from process.env), ingests the KB. */
async function bootAndIngest(dim, passages) {
  process.env.EMBEDDING_DIM = String(dim);
  const extra = { EMBEDDING_DIM: String(dim) };
  if (BASE_URL) {
    await adminQuery(BASE_URL, `DROP DATABASE IF EXISTS strata_vec_${dim}`);
    await adminQuery(BASE_URL, `CREATE DATABASE strata_vec_${dim}`);
    extra.DATABASE_URL = dbUrlFor(dim);
  }
  const { app, call: send, admin } = await bootBenchApp(extra);
  // One retry on a reset socket: a keep-alive connection can be closed by the server during the long ALTERs between runs.
  const call = (method, p, body) => send(method, p, body, admin).catch((err) => (err?.cause?.code === 'ECONNRESET' ? send(method, p, body, admin) : Promise.reject(err)));
  const ds = app.get(dist('database', 'database.service').DatabaseService).dataSource;
  // Explicit float32 at this width whatever the migrations made (the tables are still empty).
  await setColumnType(ds, 'vector', dim);
  const tenant = (await call('POST', '/api/v1/tenants', { tenant_name: `vec-${dim}-${Date.now()}` })).data.tenant_id;
  const kb = (await call('POST', `/api/v1/tenants/${tenant}/knowledge-bases`, { kb_name: 'squad' })).data.kb_id;
  const kbBase = `/api/v1/tenants/${tenant}/knowledge-bases/${kb}`;
  const t0 = Date.now();
  for (let i = 0; i < passages.length; i += 50) {
    const batch = passages.slice(i, i + 50);
    await call('POST', `${kbBase}/documents/texts`, { texts: batch.map((p) => p.text), file_sources: batch.map((p) => p.id) });
  }
  for (;;) {
    const done = await call('GET', `${kbBase}/documents?status=processed&limit=1`);
    const failed = await call('GET', `${kbBase}/documents?status=failed&limit=1`);
    if (failed.meta.total) throw new Error(`ingestion failed: ${JSON.stringify(failed.data[0])}`);
    if (done.meta.total === passages.length) break;
    await new Promise((res) => setTimeout(res, 200));
  }
  console.log(`dim ${dim}: ingested ${passages.length} passages in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { dim, app, call, ds, tenant, kb, kbBase };
}

/** Converts public's three embedding columns to `type(dim)` (HNSW indexes dropped and rebuilt with the matching operator class). */
async function setColumnType(ds, type, dim) {
  for (const t of TABLES) {
    await ds.query(`DROP INDEX IF EXISTS public.${t}_embedding_idx`);
    await ds.query(`ALTER TABLE public.${t} ALTER COLUMN embedding TYPE ${type}(${dim}) USING embedding::${type}(${dim})`);
    await ds.query(`CREATE INDEX ${t}_embedding_idx ON public.${t} USING hnsw (embedding ${type}_cosine_ops)`);
    await ds.query(`ANALYZE public.${t}`);
  }
}

async function quality(env, questions) {
  const out = {};
  for (const mode of MODES) {
    const hits = { 1: 0, 5: 0, 10: 0 };
    await pool(questions, CONCURRENCY, async (q) => {
      const r = await env.call('POST', `${env.kbBase}/query`, { query: q.question, mode, only_need_context: true, chunk_top_k: 10, top_k: TOP_K });
      const rank = r.data.context.chunks.findIndex((c) => c.file_path === q.passage_id);
      for (const k of [1, 5, 10]) if (rank >= 0 && rank < k) hits[k]++;
    });
    out[mode] = [1, 5, 10].map((k) => ((100 * hits[k]) / questions.length).toFixed(1));
  }
  return out;
}

/** Copies public's chunks/entities/relations into vb_<dim>_<variant> with the variant's type and storage. */
async function buildVariant(env, v) {
  const { ds, dim } = env;
  const schema = `vb_${dim}_${v.name}`;
  await ds.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await ds.query(`CREATE SCHEMA ${schema}`);
  for (const t of TABLES) {
    await ds.query(`CREATE TABLE ${schema}.${t} (LIKE public.${t} INCLUDING DEFAULTS INCLUDING GENERATED)`);
    await ds.query(`ALTER TABLE ${schema}.${t} ALTER COLUMN embedding TYPE ${v.type}(${dim})`);
    if (v.storage) await ds.query(`ALTER TABLE ${schema}.${t} ALTER COLUMN embedding SET STORAGE ${v.storage}`);
    const cols = (
      await ds.query(`SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 AND is_generated = 'NEVER' ORDER BY ordinal_position`, [
        t,
      ])
    ).map((r) => `"${r.column_name}"`);
    await ds.query(`INSERT INTO ${schema}.${t} (${cols.join(', ')}) SELECT ${cols.join(', ')} FROM public.${t}`);
    const indexes = await ds.query(`SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = $1`, [t]);
    for (const { indexdef } of indexes) {
      const hnsw = /USING hnsw/i.test(indexdef);
      if (hnsw && !v.hnsw) continue;
      let def = indexdef.replace(` ON public.${t} `, ` ON ${schema}.${t} `);
      if (hnsw) def = def.replace(/\w+_cosine_ops/, `${v.type}_cosine_ops`);
      await ds.query(def);
    }
    await ds.query(`ANALYZE ${schema}.${t}`);
  }
  const size = async (t) =>
    (
      await ds.query(
        `SELECT pg_relation_size(c.oid)::bigint AS heap, COALESCE(pg_relation_size(NULLIF(c.reltoastrelid, 0)), 0)::bigint AS toast,
                (SELECT avg(pg_column_size(embedding))::int FROM ${schema}.${t}) AS col
         FROM pg_class c WHERE c.oid = '${schema}.${t}'::regclass`,
      )
    )[0];
  const sizes = {};
  for (const t of TABLES) sizes[t] = await size(t);
  return { key: `${dim}/${v.name}`, env, v, schema, sizes };
}

/** One search in its own transaction as the owner, search_path on the variant; returns [ms, ids]. */
async function timedSearch(variant, kind, exact, vector) {
  const { ds, tenant, kb } = variant.env;
  const { RunnerDb } = dist('database', 'db');
  const { RetrievalRepository } = dist('rag', 'retrieval', 'retrieval.repository');
  const repo = new RetrievalRepository(null);
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('BEGIN');
    await runner.query(`SELECT set_config('search_path', '${variant.schema}, public', true)`);
    const db = new RunnerDb(runner);
    if (!exact) await repo.useIterativeScan(db, TOP_K * 2);
    const s = process.hrtime.bigint();
    let ids;
    if (kind === 'chunks') ids = (await repo.searchChunks(db, tenant, kb, { vector, terms: [], limit: TOP_K, exact })).byVector.map((h) => h.chunk_id);
    else if (kind === 'entities') ids = (await repo.searchEntities(db, tenant, kb, vector, TOP_K, exact)).map((h) => h.id);
    else ids = (await repo.searchRelations(db, tenant, kb, vector, TOP_K, exact)).map((h) => h.id);
    const ms = Number(process.hrtime.bigint() - s) / 1e6;
    await runner.query('COMMIT');
    return [ms, ids];
  } finally {
    await runner.release();
  }
}

const overlap = (a, b) => (a.length ? a.filter((x) => b.includes(x)).length / a.length : 1);

async function latency(variants, questions) {
  const { LocalEmbeddingProvider } = dist('rag', 'providers', 'local-embedding.provider');
  const { toVector } = dist('rag', 'storage', 'graph-store.repository');
  const vecs = new Map();
  const vectorFor = async (dim, q) => {
    const key = `${dim}:${q}`;
    if (!vecs.has(key)) vecs.set(key, toVector((await new LocalEmbeddingProvider(dim).embed([q], {}))[0]));
    return vecs.get(key);
  };
  const times = new Map();
  const record = (k, ms) => (times.get(k) ?? times.set(k, []).get(k)).push(ms);
  const recall = new Map();
  const recordRecall = (k, x) => (recall.get(k) ?? recall.set(k, []).get(k)).push(x);
  for (let round = 0; round < ROUNDS; round++) {
    const sample = questions.slice(round * SAMPLE, (round + 1) * SAMPLE);
    for (const q of sample) {
      const order = round % 2 ? [...variants].reverse() : variants;
      const exactIds = new Map();
      for (const v of order) {
        const vector = await vectorFor(v.env.dim, q.question);
        for (const kind of TABLES) {
          const [ms, ids] = await timedSearch(v, kind, true, vector);
          record(`${v.key}|${kind}|exact`, ms);
          exactIds.set(`${v.key}|${kind}`, ids);
          if (v.v.hnsw) {
            const [msH, idsH] = await timedSearch(v, kind, false, vector);
            record(`${v.key}|${kind}|hnsw`, msH);
            recordRecall(`${v.key}|${kind}|hnsw`, overlap(ids, idsH));
          }
        }
      }
      for (const v of variants)
        if (v.v.type === 'halfvec')
          for (const kind of TABLES) {
            const f32 = exactIds.get(`${v.env.dim}/f32|${kind}`);
            if (f32) recordRecall(`${v.key}|${kind}|vs-f32`, overlap(f32, exactIds.get(`${v.key}|${kind}`)));
          }
    }
  }
  return { times, recall };
}

async function main() {
  const passages = readJsonl('passages.jsonl');
  const allQuestions = readJsonl('questions.jsonl');
  const questions = allQuestions.slice(0, LIMIT);
  console.log(`load ${fs.readFileSync('/proc/loadavg', 'utf8').trim()}; ${BASE_URL ? 'PostgreSQL' : 'PGlite'}; dims ${DIMS.join(',')}; ${questions.length} questions`);
  const envs = [];
  const qualityRows = [];
  const variants = [];
  try {
    for (const dim of DIMS) {
      const env = await bootAndIngest(dim, passages);
      envs.push(env);
      const t0 = Date.now();
      if (questions.length) qualityRows.push({ name: `float32 ${dim}`, q: await quality(env, questions) });
      console.log(`dim ${dim}: float32 quality in ${((Date.now() - t0) / 1000).toFixed(1)} s ${JSON.stringify(qualityRows.at(-1)?.q ?? {})}`);
      const t1 = Date.now();
      for (const v of VARIANTS) variants.push(await buildVariant(env, v));
      console.log(`dim ${dim}: ${VARIANTS.length} variant copies in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
      if (questions.length && HALF_QUALITY_DIMS.includes(dim)) {
        const t2 = Date.now();
        await setColumnType(env.ds, 'halfvec', dim);
        qualityRows.push({ name: `halfvec ${dim}`, q: await quality(env, questions) });
        console.log(`dim ${dim}: halfvec conversion and quality in ${((Date.now() - t2) / 1000).toFixed(1)} s`);
      }
    }

    console.log(`\nquality: hit@1 / hit@5 / hit@10 (%), ${questions.length} questions, top_k ${TOP_K}, chunk_top_k 10`);
    console.log(`${'candidate'.padEnd(14)} ${MODES.map((m) => m.padEnd(18)).join(' ')}`);
    for (const r of qualityRows) console.log(`${r.name.padEnd(14)} ${MODES.map((m) => r.q[m].join('/').padEnd(18)).join(' ')}`);

    const t0 = Date.now();
    console.log(`\nload ${fs.readFileSync('/proc/loadavg', 'utf8').trim()} before the latency rounds`);
    const { times, recall } = await latency(variants, allQuestions);
    console.log(
      `latency: ${ROUNDS} interleaved rounds × ${SAMPLE} questions in ${((Date.now() - t0) / 1000).toFixed(1)} s; load ${fs.readFileSync('/proc/loadavg', 'utf8').trim()}`,
    );
    const base = Object.fromEntries(TABLES.map((t) => [t, median(times.get(`${DIMS.includes(1024) ? 1024 : DIMS[0]}/f32|${t}|exact`))]));
    console.log(`median ms per search (ratio to float32-1024 EXTENDED exact); hnsw: recall of the exact top ${TOP_K}; half: exact top-${TOP_K} overlap with float32`);
    console.log(`${'variant'.padEnd(16)} ${TABLES.map((t) => `${t} exact`.padEnd(20) + `${t} hnsw`.padEnd(26)).join('')} emb bytes (c/e/r)  heap+toast KB`);
    const summary = [];
    for (const v of variants) {
      const cell = (t, plan) => {
        const m = median(times.get(`${v.key}|${t}|${plan}`) ?? []);
        if (Number.isNaN(m)) return '-';
        const rec = recall.get(`${v.key}|${t}|${plan === 'hnsw' ? 'hnsw' : 'vs-f32'}`);
        const r = rec ? ` ${((100 * rec.reduce((a, b) => a + b, 0)) / rec.length).toFixed(1)}%` : '';
        return `${m.toFixed(2)} (${(m / base[t]).toFixed(2)}×)${r}`;
      };
      const kb = TABLES.map((t) => Math.round((Number(v.sizes[t].heap) + Number(v.sizes[t].toast)) / 1024)).join('/');
      const bytes = TABLES.map((t) => v.sizes[t].col).join('/');
      console.log(`${v.key.padEnd(16)} ${TABLES.map((t) => cell(t, 'exact').padEnd(20) + cell(t, 'hnsw').padEnd(26)).join('')} ${bytes.padEnd(18)} ${kb}`);
      summary.push({
        variant: v.key,
        sizes: v.sizes,
        ...Object.fromEntries(
          TABLES.flatMap((t) => [
            [`${t}_exact`, cell(t, 'exact')],
            [`${t}_hnsw`, cell(t, 'hnsw')],
          ]),
        ),
      });
    }
    console.log(JSON.stringify({ quality: qualityRows, latency: summary }));
  } finally {
    for (const env of envs) {
      for (const v of VARIANTS) await env.ds.query(`DROP SCHEMA IF EXISTS vb_${env.dim}_${v.name} CASCADE`).catch(() => {});
      await env.app.close();
      if (BASE_URL) await adminQuery(BASE_URL, `DROP DATABASE IF EXISTS strata_vec_${env.dim}`);
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
