#!/usr/bin/env node
/**
 * Memory while ingesting one big text file (issue 4: a 20 MB file must
 * stream, not balloon), and the ingestion throughput in chunks/s.
 *
 * For each size in SIZES_MB the server starts as its own process, as deployed
 * (`node dist/src/main.js`), on a fresh database: DATABASE_URL's server (a new
 * database per size) or, without it, the embedded PGlite in a fresh on-disk
 * DATA_DIR (what `npm start` uses). The bench uploads SIZE MB of prose as a
 * .txt through POST …/documents/add and waits for the document to be
 * processed. The server's memory is read from the kernel: VmRSS once it is
 * idle before the upload, then the peak counter is reset (clear_refs) and
 * VmHWM (the process's peak RSS since) read at the end, so no short peak is
 * missed between samples and start-up's own peak is not counted.
 *
 * "Streams" means the peak does not grow with the file: the last line is the
 * growth of the biggest file over that of the smallest (1.0 = flat, the size
 * ratio = memory proportional to the file).
 *
 * The CPU time the server process (all its threads) and, on a PostgreSQL
 * server, the database's backends spent during the ingestion is printed per
 * chunk: unlike chunks/s it hardly depends on what else runs on the machine,
 * and 1000 × cores / (ms per chunk) bounds the chunks/s the machine can reach.
 * BENCH_STAGES=1 shows the server's "document ingested" log line (time per
 * stage).
 *
 * Linux only (it reads and resets the kernel's counters in /proc/<pid>).
 * Env: SIZES_MB ("5,20"), CHUNK_TOKENS (1200), MAX_SECONDS (3600 per file),
 * BENCH_SERVER_NODE_ARGS (e.g. "--trace-gc" to see the live heap after GCs).
 */
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnBenchServer, freshDatabaseUrl } = require('./lib');

const SIZES_MB = (process.env.SIZES_MB ?? '5,20')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const CHUNK_TOKENS = Number(process.env.CHUNK_TOKENS ?? 1200);
const MAX_SECONDS = Number(process.env.MAX_SECONDS ?? 3600);

const NAMES = ['Ada Lovelace', 'Alan Turing', 'Grace Hopper', 'Marie Curie', 'Niels Bohr', 'Rosalind Franklin', 'Paris', 'Berlin', 'Lisbon', 'Oslo', 'Cairo', 'Lima'];
const VERBS = ['met', 'wrote to', 'visited', 'studied with', 'argued with', 'travelled to'];
const NOUNS = ['the harbour', 'a treaty', 'the observatory', 'a manuscript', 'the laboratory', 'an engine', 'the archive', 'a glacier'];

function prose(bytes) {
  let seed = 11;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const pick = (a) => a[Math.floor(rnd() * a.length)];
  const parts = [];
  let size = 0;
  let n = 0;
  while (size < bytes) {
    const s = `${pick(NAMES)} ${pick(VERBS)} ${pick(NAMES)} near ${pick(NOUNS)} in year ${1800 + (n++ % 200)}, and noted item ${n}. ${n % 7 === 0 ? '\n\n' : ''}`;
    parts.push(s);
    size += s.length;
  }
  return parts.join('');
}

/** kB figures of /proc/<pid>/status (Linux). */
function memoryOf(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') * 1024, hwm: kb('VmHWM') * 1024 };
}

/** CPU seconds (user + system, all threads) a process has used so far. */
function cpuSecondsOf(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return 0; // the process is gone
  }
}
const TICKS = 100; // USER_HZ: 100 on Linux

/** The PostgreSQL backends serving database `name` (their command line names it). */
function backendsOf(name) {
  if (!name) return [];
  return fs.readdirSync('/proc').filter((p) => {
    if (!/^\d+$/.test(p)) return false;
    try {
      return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith('postgres: ') && fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(` ${name} `);
    } catch {
      return false;
    }
  });
}

const mb = (x) => (x / 1048576).toFixed(0);

async function ingestOnce(sizeMb) {
  const database = await freshDatabaseUrl('strata_bench_ingest');
  const dataDir = database.url ? null : fs.mkdtempSync(path.join(os.tmpdir(), 'strata-ingest-'));
  const server = await spawnBenchServer({
    MAX_UPLOAD_MB: String(Math.ceil(sizeMb * 1.1) + 1),
    WORKER_CONCURRENCY: '1',
    // BENCH_STAGES=1: the server logs at info, so its "document ingested" line (stage timings) shows.
    ...(process.env.BENCH_STAGES ? { LOG_LEVEL: 'info' } : {}),
    ...(database.url ? { DATABASE_URL: database.url } : { DATA_DIR: dataDir }),
  });
  const { call, admin, base, child } = server;
  try {
    const tenant = (await call('POST', '/api/v1/tenants', { tenant_name: `rss-${Date.now()}` }, admin)).data.tenant_id;
    const kb = (
      await call(
        'POST',
        `/api/v1/tenants/${tenant}/knowledge-bases`,
        { kb_name: 'big', config: { chunk_token_size: CHUNK_TOKENS, chunk_overlap_token_size: Math.min(100, CHUNK_TOKENS / 4) } },
        admin,
      )
    ).data.kb_id;
    const text = prose(sizeMb * 1024 * 1024);
    const bytes = Buffer.byteLength(text);
    await new Promise((r) => setTimeout(r, 2000)); // let start-up garbage settle
    const idle = memoryOf(child.pid);
    // Reset the kernel's peak so it measures the ingestion, not start-up (PGlite's
    // first start runs initdb and compiles its WebAssembly, a peak of its own).
    fs.writeFileSync(`/proc/${child.pid}/clear_refs`, '5');
    // CPU used by the server (every thread) and by its PostgreSQL backends while ingesting:
    // what the load of other processes on the machine does not change much.
    const dbName = database.url ? new URL(database.url).pathname.slice(1) : null;
    const cpuBefore = cpuSecondsOf(child.pid);
    const pgBefore = new Map(backendsOf(dbName).map((p) => [p, cpuSecondsOf(p)]));

    const started = Date.now();
    const form = new FormData();
    form.append('file', new Blob([text], { type: 'text/plain' }), 'big.txt');
    const res = await fetch(`${base}/api/v1/tenants/${tenant}/knowledge-bases/${kb}/documents/add`, { method: 'POST', headers: admin, body: form });
    const accepted = await res.json();
    if (res.status !== 202) throw new Error(`upload: ${res.status} ${JSON.stringify(accepted)}`);
    const uploadSeconds = (Date.now() - started) / 1000;
    let doc = { status: 'pending' };
    let lastLog = Date.now();
    while (doc.status !== 'processed' && doc.status !== 'failed' && (Date.now() - started) / 1000 < MAX_SECONDS) {
      await new Promise((r) => setTimeout(r, 500));
      try {
        doc = (await call('GET', `/api/v1/tenants/${tenant}/knowledge-bases/${kb}/documents/${accepted.data.document_id}`, null, admin)).data;
      } catch (err) {
        console.log(`… poll failed (${err.cause?.code ?? err.message}); retrying`); // PGlite: a long commit can stall the server
      }
      if (Date.now() - lastLog > 30_000) {
        lastLog = Date.now();
        const m = memoryOf(child.pid);
        console.log(`… ${((Date.now() - started) / 1000).toFixed(0)} s, ${doc.status}, RSS ${mb(m.rss)} MB, peak so far ${mb(m.hwm)} MB`);
      }
    }
    const seconds = (Date.now() - started) / 1000;
    const end = memoryOf(child.pid);
    const serverCpu = cpuSecondsOf(child.pid) - cpuBefore;
    const pgCpu = backendsOf(dbName).reduce((sum, p) => sum + cpuSecondsOf(p) - (pgBefore.get(p) ?? 0), 0);
    return {
      sizeMb,
      bytes,
      status: doc.status,
      error: doc.error,
      chunks: doc.chunks_count,
      seconds,
      uploadSeconds,
      idleRss: idle.rss,
      peakRss: end.hwm,
      endRss: end.rss,
      serverCpu,
      pgCpu,
    };
  } finally {
    await server.close();
    await database.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const databaseLabel = (r) => (process.env.DATABASE_URL ? `, PostgreSQL backends ${((1000 * r.pgCpu) / r.chunks).toFixed(1)} ms` : ' (PGlite runs inside it)');

async function main() {
  console.log(
    `server process on ${process.env.DATABASE_URL ? 'a PostgreSQL server' : 'the embedded PGlite, on-disk DATA_DIR'}; sizes ${SIZES_MB.join(', ')} MB; chunks of ${CHUNK_TOKENS} tokens`,
  );
  const results = [];
  for (const size of SIZES_MB) {
    const r = await ingestOnce(size);
    results.push(r);
    console.log(
      `${(r.bytes / 1048576).toFixed(1)} MB → ${r.status}${r.error ? ` (${r.error})` : ''}, ${r.chunks} chunks in ${r.seconds.toFixed(1)} s ` +
        `(${(r.chunks / (r.seconds - r.uploadSeconds)).toFixed(1)} chunks/s); server RSS idle ${mb(r.idleRss)} MB, peak ${mb(r.peakRss)} MB (+${mb(r.peakRss - r.idleRss)} MB), after ${mb(r.endRss)} MB; ` +
        `CPU per chunk: server ${((1000 * r.serverCpu) / r.chunks).toFixed(1)} ms${databaseLabel(r)}`,
    );
  }
  if (results.length > 1) {
    const [small, big] = [results[0], results.at(-1)];
    const growth = (big.peakRss - big.idleRss) / Math.max(1, small.peakRss - small.idleRss);
    console.log(`peak growth ${big.sizeMb} MB vs ${small.sizeMb} MB: ${growth.toFixed(2)}× for a ${(big.sizeMb / small.sizeMb).toFixed(1)}× bigger file`);
  }
  console.log(JSON.stringify(results));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
