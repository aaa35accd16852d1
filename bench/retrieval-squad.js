#!/usr/bin/env node
/**
 * Retrieval quality on SQuAD 2.0 (../shared/datasets/squad-v2-dev-a): every
 * passage becomes one document (file_source = passage id) of one KB; each of
 * the 400 questions is asked in each mode with only_need_context, and the
 * rank of the gold passage among the returned chunks gives hit@1/5/10, next
 * to the dataset's BM25 baseline (79.5 / 93.0 / 96.5 %).
 *
 * Boots the built app in-process (dist/) on in-memory PGlite, or on
 * DATABASE_URL when set, with the default local providers. `npm run bench:retrieval`.
 * Env: SQUAD_DIR, MODES (comma list), QUESTIONS (limit), CONCURRENCY (4).
 * Latency per mode: p50 and p99 of the HTTP round trip at CONCURRENCY clients;
 * on PGlite the engine runs in the app's thread, so with 4 clients a query
 * waits for the others' work too (latency ≈ 4 × one query's work).
 */
'use strict';

require('reflect-metadata');
const fs = require('node:fs');
const path = require('node:path');

const { bootBenchApp } = require('./lib');

const DIR = process.env.SQUAD_DIR ?? path.join(__dirname, '..', '..', 'shared', 'datasets', 'squad-v2-dev-a');
const MODES = (process.env.MODES ?? 'naive,local,global,hybrid,mix').split(',');
const LIMIT = Number(process.env.QUESTIONS ?? 1e9);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 4);
const BASELINE = { 1: 79.5, 5: 93.0, 10: 96.5 };

const readJsonl = (f) =>
  fs
    .readFileSync(path.join(DIR, f), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));

/** The shared boot, with this script's call(method, path, body, token) shape. */
async function boot() {
  const { app, call: send, admin } = await bootBenchApp();
  const call = (method, p, body, token) => send(method, p, body, token ? { authorization: `Bearer ${token}` } : {});
  return { app, call, token: admin.authorization.slice('Bearer '.length) };
}

async function pool(items, n, fn) {
  let i = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (i < items.length) await fn(items[i++]);
    }),
  );
}

async function main() {
  const passages = readJsonl('passages.jsonl');
  const questions = readJsonl('questions.jsonl').slice(0, LIMIT);
  const { app, call, token } = await boot();
  const tenant = (await call('POST', '/api/v1/tenants', { tenant_name: `squad-${Date.now()}` }, token)).data.tenant_id;
  const kb = (await call('POST', `/api/v1/tenants/${tenant}/knowledge-bases`, { kb_name: 'squad' }, token)).data.kb_id;
  const kbBase = `/api/v1/tenants/${tenant}/knowledge-bases/${kb}`;

  const t0 = Date.now();
  for (let i = 0; i < passages.length; i += 50) {
    const batch = passages.slice(i, i + 50);
    await call('POST', `${kbBase}/documents/texts`, { texts: batch.map((p) => p.text), file_sources: batch.map((p) => p.id) }, token);
  }
  for (;;) {
    const r = await call('GET', `${kbBase}/documents?status=processed&limit=1`, null, token);
    const failed = await call('GET', `${kbBase}/documents?status=failed&limit=1`, null, token);
    if (failed.meta.total) throw new Error(`ingestion failed: ${JSON.stringify(failed.data[0])}`);
    if (r.meta.total === passages.length) break;
    await new Promise((res) => setTimeout(res, 200));
  }
  const ingestSeconds = (Date.now() - t0) / 1000;
  const chunks = (await call('GET', `${kbBase}/documents?limit=200`, null, token)).data.reduce((s, d) => s + d.chunks_count, 0);
  console.log(`ingested ${passages.length} passages in ${ingestSeconds.toFixed(1)} s (${(passages.length / ingestSeconds).toFixed(1)} docs/s; first page holds ${chunks} chunks)`);

  const results = {};
  for (const mode of MODES) {
    const hits = { 1: 0, 5: 0, 10: 0 };
    const latencies = [];
    await pool(questions, CONCURRENCY, async (q) => {
      const s = process.hrtime.bigint();
      const r = await call('POST', `${kbBase}/query`, { query: q.question, mode, only_need_context: true, chunk_top_k: 10, top_k: 40 }, token);
      latencies.push(Number(process.hrtime.bigint() - s) / 1e6);
      const rank = r.data.context.chunks.findIndex((c) => c.file_path === q.passage_id);
      for (const k of [1, 5, 10]) if (rank >= 0 && rank < k) hits[k]++;
    });
    latencies.sort((a, b) => a - b);
    const pct = (k) => ((100 * hits[k]) / questions.length).toFixed(1);
    const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))].toFixed(1);
    results[mode] = { hit1: pct(1), hit5: pct(5), hit10: pct(10), p50: at(0.5), p99: at(0.99) };
    console.log(
      `${mode.padEnd(7)} hit@1 ${pct(1).padStart(5)} %  hit@5 ${pct(5).padStart(5)} %  hit@10 ${pct(10).padStart(5)} %   (p50 ${results[mode].p50} ms, p99 ${results[mode].p99} ms)`,
    );
  }
  console.log(
    `bm25    hit@1 ${BASELINE[1].toFixed(1).padStart(5)} %  hit@5 ${BASELINE[5].toFixed(1).padStart(5)} %  hit@10 ${BASELINE[10].toFixed(1).padStart(5)} %   (baseline from the dataset README)`,
  );
  console.log(JSON.stringify({ questions: questions.length, passages: passages.length, ingestSeconds, results }));
  await app.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
