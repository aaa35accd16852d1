#!/usr/bin/env node
/**
 * Latency of every query mode against naive (issue 14): CLIENTS concurrent
 * clients send POST …/query {mode, only_need_context: true} for DURATION
 * seconds per mode in all, split into ROUNDS interleaved rounds (each round
 * runs every mode once, so the machine's load drifts equally over all of
 * them); p50/p99 per mode and their ratios to naive's p50/p99 in the same run.
 *
 * Runs on DATABASE_URL when set (a database strata_modes_<ts> is created and
 * dropped; the server runs as its own process, as deployed; its
 * DATABASE_POOL_SIZE is CLIENTS), else on in-memory PGlite in-process.
 *
 * DATASET:
 *  - squad: the 294 SQuAD passages (SQUAD_DIR) ingested through the API (real
 *    extraction, one KB), queried with the dataset's questions;
 *  - synthetic: KBS knowledge bases of CHUNKS_PER_KB chunks with a graph,
 *    written straight into the tables (ingestion at ~17 chunks/s is far too
 *    slow for 100 000 chunks): chunk text of random words with the local
 *    embedding; ENTITIES_PER_CHUNK × CHUNKS_PER_KB entities per KB, each
 *    chunk mentioning MENTIONS_PER_CHUNK of them drawn with a skew
 *    (index = ⌊E·u²⌋, so a few entities are mentioned by many chunks, most by
 *    one or two, as extraction yields); relations are co-occurrence pairs
 *    within a chunk (up to RELATIONS_PER_CHUNK per chunk, LightRAG's local
 *    graph shape), their support rows the chunks holding the pair; entity and
 *    relation vectors are copies of a chunk's embedding. Defaults follow the
 *    SQuAD KB's ratios (294 chunks: 2 301 entities, 5 694 relations).
 *
 * Env: DATASET (squad), KBS (100), CHUNKS_PER_KB (1000), ENTITIES_PER_CHUNK (8),
 * MENTIONS_PER_CHUNK (8), RELATIONS_PER_CHUNK (19), CLIENTS (20), DURATION
 * (10 s per mode), ROUNDS (3), MODES (naive,local,global,hybrid,mix), TOP_K
 * (40), CHUNK_TOP_K (10).
 *
 * Context check: CONTEXT_OUT=file writes, after loading, the context every
 * mode returns for the first CONTEXT_QUESTIONS (100) questions, asked one at a
 * time. REUSE_DB=name (server only) queries an existing database (one loaded
 * with KEEP_DB=1) instead of creating and loading one, so two builds can be
 * compared on the same rows (same ids); CHECK_ONLY=1 skips the timing.
 *
 * The floor of the graph modes (FACT_SCANS, default 1): a way "fact scans"
 * sends, as bare SQL (its own pool of CLIENTS connections as the table owner,
 * no HTTP, no RLS, no app), only the two exact nearest-neighbour scans every
 * mix query makes: the top_k entities and the top_k relations of the KB by
 * the question's embedding. Its CPU per request against naive's whole CPU
 * per request (app + PostgreSQL) bounds mix/naive from below, whatever the
 * rest of the pipeline costs: mix ≥ naive + these scans.
 *
 * After quiet spells (server only, with BASE_DIST): IDLE_GAP_S=n replaces the
 * timed rounds with BURSTS (5) bursts, each after n seconds with no query: the
 * first CLIENTS MODES[0] queries at once on this build's server, then on the
 * base's; p50 and max per build. A pooled connection closed while idle comes
 * back as a new PostgreSQL backend, which pays for its first touch of every
 * shared page it reads (DATABASE_POOL_IDLE_MS).
 *
 * Before/after in one run (server only): BASE_DIST=<another build's dist>
 * starts a second server from that build on the same database, and every
 * round times each mode on both servers (labelled mode@base), so the two
 * builds share the machine's load; BASE_MODES (mix) picks the modes timed on it.
 */
'use strict';

require('reflect-metadata');
const fs = require('node:fs');
const path = require('node:path');
const { Pool } = require('pg');

const dist = path.join(__dirname, '..', 'dist', 'src');
const { spawn } = require('node:child_process');
const {
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
} = require('./lib');
const { DatabaseService } = require(path.join(dist, 'database', 'database.service'));
const { LocalEmbeddingProvider } = require(path.join(dist, 'rag', 'providers', 'local-embedding.provider'));

const DATASET = process.env.DATASET ?? 'squad';
const SQUAD_DIR = process.env.SQUAD_DIR ?? path.join(__dirname, '..', '..', 'shared', 'datasets', 'squad-v2-dev-a');
const KBS = Number(process.env.KBS ?? 100);
const PER_KB = Number(process.env.CHUNKS_PER_KB ?? 1000);
const ENTITIES_PER_CHUNK = Number(process.env.ENTITIES_PER_CHUNK ?? 8);
const MENTIONS_PER_CHUNK = Number(process.env.MENTIONS_PER_CHUNK ?? 8);
const RELATIONS_PER_CHUNK = Number(process.env.RELATIONS_PER_CHUNK ?? 19);
const CLIENTS = Number(process.env.CLIENTS ?? 20);
const DURATION = Number(process.env.DURATION ?? 10);
const ROUNDS = Math.max(1, Number(process.env.ROUNDS ?? 3));
const MODES = (process.env.MODES ?? 'naive,local,global,hybrid,mix').split(',');
const TOP_K = Number(process.env.TOP_K ?? 40);
const CHUNK_TOP_K = Number(process.env.CHUNK_TOP_K ?? 10);
const DIM = Number(process.env.EMBEDDING_DIM ?? 1024);
const CONTEXT_QUESTIONS = Number(process.env.CONTEXT_QUESTIONS ?? 100);
const FACT_SCANS = process.env.FACT_SCANS !== '0';

const { pick, sentence } = syntheticProse(7);
const pct = percentile;
const readJsonl = (f) =>
  fs
    .readFileSync(path.join(SQUAD_DIR, f), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));

async function loadSquad(call, admin) {
  const passages = readJsonl('passages.jsonl');
  const tenant = (await call('POST', '/api/v1/tenants', { tenant_name: `modes-${Date.now()}` }, admin)).data.tenant_id;
  const kb = (await call('POST', `/api/v1/tenants/${tenant}/knowledge-bases`, { kb_name: 'squad' }, admin)).data.kb_id;
  const base = `/api/v1/tenants/${tenant}/knowledge-bases/${kb}`;
  for (let i = 0; i < passages.length; i += 50) {
    const batch = passages.slice(i, i + 50);
    await call('POST', `${base}/documents/texts`, { texts: batch.map((p) => p.text), file_sources: batch.map((p) => p.id) }, admin);
  }
  for (;;) {
    const failed = await call('GET', `${base}/documents?status=failed&limit=1`, null, admin);
    if (failed.meta.total) throw new Error(`ingestion failed: ${JSON.stringify(failed.data[0])}`);
    if ((await call('GET', `${base}/documents?status=processed&limit=1`, null, admin)).meta.total === passages.length) break;
    await new Promise((r) => setTimeout(r, 300));
  }
  return { tenant, kbs: [kb], questions: readJsonl('questions.jsonl').map((q) => q.question) };
}

/**
 * The HNSW indexes of the vector tables are dropped while the synthetic rows
 * go in and built again afterwards from their own definitions (one build is
 * far cheaper than an index insert per row); the schema queried is the
 * migrations' own.
 */
async function withoutVectorIndexes(sql, load) {
  const defs = await sql(`SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('chunks', 'entities', 'relations') AND indexdef ILIKE '%USING hnsw%'`);
  for (const d of defs) await sql(`DROP INDEX ${d.indexname}`);
  try {
    return await load();
  } finally {
    for (const d of defs) await sql(d.indexdef);
  }
}

async function loadSynthetic(asTenant, call, admin) {
  const embedder = new LocalEmbeddingProvider(DIM);
  const tenant = (await call('POST', '/api/v1/tenants', { tenant_name: `modes-${Date.now()}` }, admin)).data.tenant_id;
  const kbs = [];
  for (let k = 0; k < KBS; k++) kbs.push((await call('POST', `/api/v1/tenants/${tenant}/knowledge-bases`, { kb_name: `kb-${k}` }, admin)).data.kb_id);
  const entitiesPerKb = Math.max(2, Math.round(ENTITIES_PER_CHUNK * PER_KB));
  for (const kb of kbs) {
    await asTenant(tenant, async (q) => {
      const docId = await insertChunks(q, {
        tenant,
        kb,
        count: PER_KB,
        filePath: 'synthetic.txt',
        text: () => `${sentence()} ${sentence()} ${sentence()}`,
        embed: (c) => embedder.embedOne(c),
      });
      // Entities: vectors copied from chunk (g mod N); names from the word list so keywords can match.
      await q.query(
        `INSERT INTO entities (tenant_id, kb_id, name, name_key, type, description, embedding)
         SELECT $1, $2, 'Entity ' || g, 'entity ' || g, 'concept', 'Synthetic entity ' || g || ' about ' || c.content, c.embedding
         FROM generate_series(0, $3 - 1) g
         JOIN chunks c ON c.tenant_id = $1 AND c.kb_id = $2 AND c.document_id = $4 AND c.chunk_index = g % $5`,
        [tenant, kb, entitiesPerKb, docId, PER_KB],
      );
      // Mentions: each chunk names MENTIONS_PER_CHUNK entities, index ⌊E·u²⌋ (skewed towards the first ones).
      await q.query(
        `WITH e AS (SELECT id, row_number() OVER (ORDER BY name_key) - 1 AS n FROM entities WHERE tenant_id = $1 AND kb_id = $2),
         m AS (
           SELECT DISTINCT c.id AS chunk_id, floor($3 * power(random(), 2))::int AS n
           FROM chunks c, generate_series(1, $4) t
           WHERE c.tenant_id = $1 AND c.kb_id = $2 AND c.document_id = $5
         )
         INSERT INTO entity_chunks (tenant_id, kb_id, entity_id, chunk_id, document_id, description)
         SELECT $1, $2, e.id, m.chunk_id, $5, 'Mentioned in a synthetic chunk as ' || e.n
         FROM m JOIN e ON e.n = m.n`,
        [tenant, kb, entitiesPerKb, MENTIONS_PER_CHUNK, docId],
      );
      // Relations: co-occurrence pairs within a chunk (at most RELATIONS_PER_CHUNK per chunk).
      await q.query(
        `CREATE TEMP TABLE pairs ON COMMIT DROP AS
         SELECT chunk_id, a, b FROM (
           SELECT x.chunk_id, x.entity_id AS a, y.entity_id AS b,
                  row_number() OVER (PARTITION BY x.chunk_id ORDER BY md5(x.entity_id::text || y.entity_id::text)) AS k
           FROM entity_chunks x JOIN entity_chunks y ON y.chunk_id = x.chunk_id AND y.entity_id > x.entity_id
           WHERE x.tenant_id = $1 AND x.kb_id = $2 AND y.tenant_id = $1 AND y.kb_id = $2
         ) p WHERE k <= $3`,
        [tenant, kb, RELATIONS_PER_CHUNK],
      );
      await q.query('ANALYZE pairs');
      // One statement: the relations (one per pair) and their support rows (every chunk holding the pair), joined on the inserted rows.
      await q.query(
        `WITH ins AS (
           INSERT INTO relations (tenant_id, kb_id, source_id, target_id, keywords, description, weight, embedding)
           SELECT DISTINCT ON (p.a, p.b) $1, $2, p.a, p.b, 'co-occurrence', 'Synthetic relation', 1, c.embedding
           FROM pairs p JOIN chunks c ON c.tenant_id = $1 AND c.kb_id = $2 AND c.id = p.chunk_id
           ORDER BY p.a, p.b, p.chunk_id
           RETURNING id, source_id, target_id
         )
         INSERT INTO relation_chunks (tenant_id, kb_id, relation_id, chunk_id, document_id, keywords, description, weight)
         SELECT $1, $2, r.id, p.chunk_id, $3, 'co-occurrence', 'Seen together in a synthetic chunk', 1
         FROM pairs p JOIN ins r ON r.source_id = p.a AND r.target_id = p.b`,
        [tenant, kb, docId],
      );
      await q.query('DROP TABLE pairs');
    });
  }
  const questions = Array.from({ length: 400 }, () => `${pick()} ${pick()} ${pick()} ${pick()}?`);
  return { tenant, kbs, questions };
}

const postJson = keepAlivePoster(CLIENTS);

/** The two exact nearest-neighbour scans of a mix query (the repository's exact plan: distance + 0, ties by id), nothing else. */
const FACT_SCANS_SQL = `SELECT
  (SELECT array_agg(id) FROM (SELECT e.id FROM entities e WHERE e.tenant_id = $1 AND e.kb_id = $2 ORDER BY (e.embedding <=> $3::vector) + 0, e.id LIMIT $4) x) AS entities,
  (SELECT array_agg(id) FROM (SELECT r.id FROM relations r WHERE r.tenant_id = $1 AND r.kb_id = $2 ORDER BY (r.embedding <=> $3::vector) + 0, r.id LIMIT $4) y) AS relations`;

/**
 * Where a way's CPU goes: the app server that answered (its own process on
 * the server; on PGlite the bench process, which holds app, database and
 * clients) and the PostgreSQL backends connected to this bench's database
 * (their process titles name it; other databases on the server are not counted).
 */
let cpuTargets = { app: () => new Map(), postgres: () => new Map() };

async function run(seconds, fn, into, target) {
  const before = { app: cpuTargets.app(target), postgres: cpuTargets.postgres() };
  const deadline = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (Date.now() < deadline) {
        const s = process.hrtime.bigint();
        try {
          await fn();
          into.latencies.push(Number(process.hrtime.bigint() - s) / 1e6);
        } catch (err) {
          if (into.errors++ < 3) console.error(err.message);
        }
      }
    }),
  );
  into.cpu.app += cpuSecondsBetween(before.app, cpuTargets.app(target));
  into.cpu.postgres += cpuSecondsBetween(before.postgres, cpuTargets.postgres());
}

/** IDLE_GAP_S: BURSTS bursts of CLIENTS queries, each after `gap` seconds of quiet, on each target in turn. */
async function burstsAfterQuiet(gap, ask, targets) {
  const bursts = Number(process.env.BURSTS ?? 5);
  const times = targets.map(() => []);
  console.log(`${bursts} bursts of ${CLIENTS} ${MODES[0]} queries, each after ${gap} s without queries; load average before: ${fs.readFileSync('/proc/loadavg', 'utf8').trim()}`);
  for (let b = 0; b < bursts; b++) {
    await new Promise((r) => setTimeout(r, gap * 1000));
    for (const [i, target] of targets.entries()) {
      const t = await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          const s = process.hrtime.bigint();
          await ask(target);
          return Number(process.hrtime.bigint() - s) / 1e6;
        }),
      );
      times[i].push(...t);
    }
  }
  const stats = times.map((t) => t.sort((a, b) => a - b)).map((t) => ({ p50: pct(t, 50), max: t[t.length - 1] }));
  for (const [i, st] of stats.entries()) {
    console.log(`${i === 0 ? 'this build' : 'base'.padEnd(10)}  burst latency p50 ${st.p50.toFixed(1)} ms, max ${st.max.toFixed(1)} ms`);
  }
  console.log(
    `this build / base: p50 ${(stats[0].p50 / stats[1].p50).toFixed(2)}, max ${(stats[0].max / stats[1].max).toFixed(2)}; load average after: ${fs.readFileSync('/proc/loadavg', 'utf8').trim()}`,
  );
}

/** A second server from another build (BASE_DIST) on the same database, with the first one's environment. */
async function spawnBaseServer(env) {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(process.env.BASE_DIST, 'src', 'main.js')], {
    env: { ...env, PORT: String(port), HOST: '127.0.0.1', WORKER_CONCURRENCY: '0' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`${base}/health/ready`)).status === 200) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { base, pid: child.pid, close: () => new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', r), child.kill('SIGTERM')))) };
}

async function existingKb(dbUrl) {
  const c = new Pool({ connectionString: dbUrl, max: 1 });
  try {
    const kbs = (await c.query(`SELECT tenant_id, id FROM knowledge_bases ORDER BY name`)).rows;
    return { tenant: kbs[0].tenant_id, kbs: kbs.filter((k) => k.tenant_id === kbs[0].tenant_id).map((k) => k.id) };
  } finally {
    await c.end();
  }
}

async function main() {
  let database;
  if (process.env.REUSE_DB) {
    const u = new URL(process.env.DATABASE_URL);
    u.pathname = `/${process.env.REUSE_DB}`;
    database = { url: u.toString(), drop: async () => undefined };
  } else database = await freshDatabaseUrl('strata_modes');
  const env = {
    MAX_KB_PER_TENANT: String(KBS + 10),
    DATABASE_POOL_SIZE: process.env.DATABASE_POOL_SIZE ?? String(CLIENTS),
    ...(DATASET === 'synthetic' ? { WORKER_CONCURRENCY: '0' } : {}),
    ...(database.url ? { DATABASE_URL: database.url } : { DATA_DIR: 'memory://' }),
  };
  const server = database.url ? await spawnBenchServer(env) : await bootBenchApp(env);
  const pool = database.url ? new Pool({ connectionString: database.url, max: 2 }) : null;
  const { call, admin } = server;
  const baseServer = database.url && process.env.BASE_DIST ? await spawnBaseServer(server.env) : null;
  let scanPool = null;
  try {
    const started = Date.now();
    let loaded;
    if (process.env.REUSE_DB) loaded = { ...(await existingKb(database.url)), questions: readJsonl('questions.jsonl').map((q) => q.question) };
    else if (DATASET === 'synthetic') {
      const sql = pool ? (text) => pool.query(text).then((r) => r.rows) : (text) => server.app.get(DatabaseService).dataSource.query(text);
      loaded = await withoutVectorIndexes(sql, () => loadSynthetic(tenantRunner(pool, server.app), call, admin));
    } else loaded = await loadSquad(call, admin);
    const { tenant, kbs, questions } = loaded;
    const analyze = pool ? (sql) => pool.query(sql) : (sql) => server.app.get(DatabaseService).dataSource.query(sql);
    await analyze('ANALYZE documents, chunks, entities, relations, entity_chunks, relation_chunks');
    const [counts] = await (pool
      ? pool
          .query(
            `SELECT (SELECT count(*) FROM chunks) c, (SELECT count(*) FROM entities) e, (SELECT count(*) FROM relations) r, (SELECT count(*) FROM entity_chunks) ec, (SELECT count(*) FROM relation_chunks) rc`,
          )
          .then((r) => r.rows)
      : analyze(
          `SELECT (SELECT count(*) FROM chunks) c, (SELECT count(*) FROM entities) e, (SELECT count(*) FROM relations) r, (SELECT count(*) FROM entity_chunks) ec, (SELECT count(*) FROM relation_chunks) rc`,
        ));
    console.log(
      `${database.url ? 'PostgreSQL server (app in its own process)' : 'PGlite (in-process)'}; dataset ${DATASET}: ${kbs.length} KB(s), ` +
        `${counts.c} chunks, ${counts.e} entities, ${counts.r} relations, ${counts.ec} entity supports, ${counts.rc} relation supports; loaded in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    const key = (await call('POST', `/api/v1/tenants/${tenant}/api-keys`, { key_name: 'bench', knowledge_base_ids: ['*'], permissions: ['query:run'] }, admin)).data.key;
    const auth = { 'x-api-key': key };
    const query = (kb, q, mode, target = server) =>
      postJson(target.base, `/api/v1/tenants/${tenant}/knowledge-bases/${kb}/query`, { query: q, mode, only_need_context: true, top_k: TOP_K, chunk_top_k: CHUNK_TOP_K }, auth);

    if (process.env.CONTEXT_OUT) {
      const out = {};
      for (const mode of MODES) {
        out[mode] = [];
        for (const q of questions.slice(0, CONTEXT_QUESTIONS)) out[mode].push({ q, context: (await query(kbs[0], q, mode)).data.context });
      }
      fs.writeFileSync(process.env.CONTEXT_OUT, JSON.stringify(out));
      console.log(`contexts of ${CONTEXT_QUESTIONS} questions × ${MODES.length} modes written to ${process.env.CONTEXT_OUT}`);
      if (process.env.CHECK_ONLY) return;
    }

    const randomKb = () => kbs[Math.floor(Math.random() * kbs.length)];
    const randomQ = () => questions[Math.floor(Math.random() * questions.length)];
    // Warm up: every KB's instance (sizes, keyword cache stays cold: questions vary), the plans.
    // Each timed way: a mode on this build's server, or (mode@base) on BASE_DIST's.
    const ways = MODES.map((mode) => ({ label: mode, mode, target: server }));
    if (baseServer) for (const mode of (process.env.BASE_MODES ?? 'mix').split(',')) ways.push({ label: `${mode}@base`, mode, target: baseServer });
    // idleTimeoutMillis 0: the pool keeps its connections between rounds (a new backend pays for its first touch of each shared page).
    scanPool = FACT_SCANS && database.url ? new Pool({ connectionString: database.url, max: CLIENTS, idleTimeoutMillis: 0 }) : null;
    if (FACT_SCANS) {
      const embedder = new LocalEmbeddingProvider(DIM);
      const vectors = new Map(questions.map((q) => [q, `[${embedder.embedOne(q).join(',')}]`]));
      const scan = scanPool ? (text, params) => scanPool.query(text, params) : (text, params) => server.app.get(DatabaseService).dataSource.query(text, params);
      const bare = { bare: true };
      ways.push({ label: 'fact scans', target: bare, send: (kb, q) => scan(FACT_SCANS_SQL, [tenant, kb, vectors.get(q), TOP_K]) });
    }
    const send = (w, kb, q) => (w.send ? w.send(kb, q) : query(kb, q, w.mode, w.target));
    // Every pooled connection too (CLIENTS at once, twice): a new PostgreSQL backend pays once for its first touch of each shared page.
    for (const kb of kbs) for (const w of ways) await send(w, kb, randomQ());
    for (let i = 0; i < 2; i++) for (const w of ways) await Promise.all(Array.from({ length: CLIENTS }, () => send(w, randomKb(), randomQ())));
    const acc = Object.fromEntries(ways.map((w) => [w.label, { latencies: [], errors: 0, cpu: { app: 0, postgres: 0 } }]));
    const dbName = database.url ? new URL(database.url).pathname.slice(1) : null;
    cpuTargets = {
      // The bare scans have no app server: on the server only PostgreSQL's CPU counts; on PGlite the bench process holds the database.
      app: (target) => (target.bare && database.url ? new Map() : cpuTicks([target === server || target.bare ? (server.child?.pid ?? process.pid) : target.pid])),
      postgres: () => (dbName ? cpuTicksMatching(new RegExp(`^postgres: (\\S+: )?\\S+ ${dbName} `)) : new Map()),
    };
    if (process.env.IDLE_GAP_S && baseServer) {
      await burstsAfterQuiet(Number(process.env.IDLE_GAP_S), (target) => query(randomKb(), randomQ(), MODES[0], target), [server, baseServer]);
      return;
    }
    console.log(`${CLIENTS} clients, ${DURATION} s per mode in ${ROUNDS} interleaved rounds; load average before: ${fs.readFileSync('/proc/loadavg', 'utf8').trim()}`);
    for (let r = 0; r < ROUNDS; r++) for (const w of ways) await run(DURATION / ROUNDS, () => send(w, randomKb(), randomQ()), acc[w.label], w.target);
    const load = fs.readFileSync('/proc/loadavg', 'utf8').trim();
    const res = {};
    for (const { label: mode } of ways) {
      const l = [...acc[mode].latencies].sort((a, b) => a - b);
      const perRequest = (sec) => (1000 * sec) / Math.max(1, l.length);
      res[mode] = {
        n: l.length,
        p50: pct(l, 50),
        p99: pct(l, 99),
        errors: acc[mode].errors,
        appCpuMs: perRequest(acc[mode].cpu.app),
        postgresCpuMs: perRequest(acc[mode].cpu.postgres),
      };
    }
    const base = res.naive;
    for (const { label: mode } of ways) {
      const r = res[mode];
      const ratio = base ? `  ×naive p50 ${(r.p50 / base.p50).toFixed(2)}, p99 ${(r.p99 / base.p99).toFixed(2)}` : '';
      const cpu = `  CPU ms/request: app ${r.appCpuMs.toFixed(1)}${database.url ? `, PostgreSQL ${r.postgresCpuMs.toFixed(1)}` : ' (app and PGlite)'}`;
      console.log(
        `${mode.padEnd(11)} n ${String(r.n).padStart(6)}  p50 ${r.p50.toFixed(1).padStart(7)} ms  p99 ${r.p99.toFixed(1).padStart(7)} ms  errors ${r.errors}${ratio}${cpu}`,
      );
    }
    if (res.naive && res.mix && res['fact scans']) {
      const cpu = (r) => r.appCpuMs + r.postgresCpuMs;
      const bound = (cpu(res.naive) + cpu(res['fact scans'])) / cpu(res.naive);
      console.log(
        `floor: naive ${cpu(res.naive).toFixed(1)} ms CPU/request, the bare fact scans ${cpu(res['fact scans']).toFixed(1)} ms, mix ${cpu(res.mix).toFixed(1)} ms; ` +
          `mix/naive CPU ≥ ${bound.toFixed(2)} from the scans alone (measured ${(cpu(res.mix) / cpu(res.naive)).toFixed(2)})`,
      );
    }
    console.log(`load average after: ${load}`);
    console.log(
      JSON.stringify({ server: !!database.url, dataset: DATASET, kbs: kbs.length, perKb: PER_KB, clients: CLIENTS, duration: DURATION, rounds: ROUNDS, counts, res, load }),
    );
  } finally {
    await scanPool?.end();
    await pool?.end();
    await baseServer?.close();
    await server.close();
    await database.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
