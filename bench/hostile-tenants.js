#!/usr/bin/env node
/**
 * One tenant cannot slow another: tenant B runs ordinary queries from
 * CLIENTS concurrent clients while tenant A (an ordinary API key) sends one
 * class of hostile request after another, each in a loop for PHASE_SECONDS.
 * Every attack phase is preceded by a quiet phase of the same length, so each
 * row compares B's latency under attack with B's latency just before it, in
 * the same run (ratio of p99s; 1.0 = no effect).
 *
 * Attack classes (the hostile-input audit's findings): a 10 000-letter
 * one-word query (mix mode), a 10 000-character CJK query, a query of
 * capitalised two-letter words (the NLP tagger), a 2 MB one-word text
 * document, a 256 KB HTML of unclosed tags, a DOCX whose text inflates to
 * 64 MB; a document attack keeps one document in flight (upload, then its
 * ingestion until processed or failed). The server runs as its own process (`node dist/src/main.js`) on
 * DATABASE_URL's server (a fresh database) or an on-disk PGlite.
 *
 * Env: PHASE_SECONDS (10), CLIENTS (4), MODE (naive: B's query mode),
 * DOCS (60: B's KB size), ONLY (comma list of attack names).
 */
'use strict';

const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { spawnBenchServer, freshDatabaseUrl } = require('./lib');
const { docxBomb } = require('../dist/src/documents/parsers/testing/fixtures');

const PHASE_SECONDS = Number(process.env.PHASE_SECONDS ?? 10);
const CLIENTS = Number(process.env.CLIENTS ?? 4);
const MODE = process.env.MODE ?? 'naive';
const DOCS = Number(process.env.DOCS ?? 60);
const ONLY = process.env.ONLY ? new Set(process.env.ONLY.split(',')) : null;

const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS + 4 });

function request(base, method, p, headers, body) {
  return new Promise((resolve, reject) => {
    const u = new URL(base + p);
    const req = http.request({ method, hostname: u.hostname, port: u.port, path: u.pathname, agent, headers }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(parts).toString('utf8') }));
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

const json = (base, p, key, obj) => request(base, 'POST', p, { 'content-type': 'application/json', 'x-api-key': key }, JSON.stringify(obj));

function multipart(base, p, key, name, type, data) {
  const boundary = `----strata${Date.now()}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: ${type}\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const body = Buffer.concat([head, data, tail]);
  return request(base, 'POST', p, { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': body.length, 'x-api-key': key }, body);
}

function pct(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function victimPhase(base, kbPath, key, seconds) {
  const lat = [];
  let errors = 0;
  const until = Date.now() + seconds * 1000;
  const words = ['harbour', 'treaty', 'observatory', 'manuscript', 'laboratory', 'engine', 'archive', 'glacier', 'Lisbon', 'Turing'];
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      let i = c;
      while (Date.now() < until) {
        const q = `Who visited the ${words[i++ % words.length]} with ${words[(i * 7) % words.length]}?`;
        const t0 = process.hrtime.bigint();
        const r = await json(base, `${kbPath}/query`, key, { query: q, mode: MODE, only_need_context: true });
        lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (r.status !== 200) errors++;
      }
    }),
  );
  lat.sort((a, b) => a - b);
  return { n: lat.length, p50: pct(lat, 50), p99: pct(lat, 99), max: lat[lat.length - 1], errors };
}

async function main() {
  const db = await freshDatabaseUrl('strata_hostile');
  const dataDir = db.url ? null : fs.mkdtempSync(path.join(os.tmpdir(), 'strata-hostile-'));
  const server = await spawnBenchServer(db.url ? { DATABASE_URL: db.url } : { DATA_DIR: dataDir });
  const { base, call, admin } = server;
  try {
    const tenant = async (name) => {
      const t = (await call('POST', '/api/v1/tenants', { tenant_name: `${name} ${Date.now()}` }, admin)).data.tenant_id;
      const kb = (await call('POST', `/api/v1/tenants/${t}/knowledge-bases`, { kb_name: 'main' }, admin)).data.kb_id;
      const key = (
        await call('POST', `/api/v1/tenants/${t}/api-keys`, { key_name: 'app', knowledge_base_ids: [kb], permissions: ['document:write', 'document:read', 'query:run'] }, admin)
      ).data.key;
      return { kbPath: `/api/v1/tenants/${t}/knowledge-bases/${kb}`, key };
    };
    const B = await tenant('Victim');
    const A = await tenant('Attacker');
    const names = ['Ada Lovelace', 'Alan Turing', 'Grace Hopper', 'Marie Curie', 'Lisbon', 'Oslo', 'Cairo'];
    const nouns = ['the harbour', 'a treaty', 'the observatory', 'a manuscript', 'the laboratory', 'an engine', 'the archive', 'a glacier'];
    const texts = Array.from({ length: DOCS }, (_, d) =>
      Array.from(
        { length: 40 },
        (_, s) =>
          `${names[(d + s) % names.length]} visited ${nouns[(d * 3 + s) % nouns.length]} in ${1800 + ((d * 40 + s) % 200)} and wrote about ${nouns[(d + 2 * s) % nouns.length]}.`,
      ).join(' '),
    );
    for (let i = 0; i < texts.length; i += 50) {
      await call(
        'POST',
        `${B.kbPath}/documents/texts`,
        { texts: texts.slice(i, i + 50), file_sources: texts.slice(i, i + 50).map((_, j) => `doc${i + j}.txt`) },
        { 'x-api-key': B.key },
      );
    }
    for (;;) {
      const list = await call('GET', `${B.kbPath}/documents?status=processed&limit=1`, null, { 'x-api-key': B.key });
      if (list.meta.total >= DOCS) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const bomb = await docxBomb(64);
    // A document attack is one request in flight: the upload, then its ingestion until it settles.
    const settle = async (r) => {
      if (r.status !== 202) return r;
      const id = JSON.parse(r.body).data.document_id;
      for (;;) {
        const d = await call('GET', `${A.kbPath}/documents/${id}`, null, { 'x-api-key': A.key });
        if (d.data.status === 'processed' || d.data.status === 'failed') return { status: `202→${d.data.status}` };
        await new Promise((res) => setTimeout(res, 100));
      }
    };
    const attacks = {
      'one-word query': () => json(base, `${A.kbPath}/query`, A.key, { query: 'a'.repeat(10_000), mode: 'mix' }),
      'CJK query': () => json(base, `${A.kbPath}/query`, A.key, { query: '漢字仮名交じり文中国語日本'.repeat(769), mode: 'mix' }),
      'NLP-tagger query': () => json(base, `${A.kbPath}/query`, A.key, { query: 'Aa '.repeat(3333), mode: 'hybrid' }),
      '2 MB one-word document': async () => settle(await json(base, `${A.kbPath}/documents/text`, A.key, { text: 'x'.repeat(2_000_000) + Date.now(), file_source: 'word.txt' })),
      '256 KB unclosed-tag HTML': async () =>
        settle(
          await multipart(base, `${A.kbPath}/documents/add`, A.key, 'tags.html', 'text/html', Buffer.from('<a'.repeat(64 * 1024) + '<script '.repeat(16 * 1024) + Date.now())),
        ),
      'DOCX bomb (64 MB of text)': async () =>
        settle(await multipart(base, `${A.kbPath}/documents/add`, A.key, 'bomb.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', bomb)),
    };
    console.log(
      `victim: ${CLIENTS} clients, ${MODE} queries, KB of ${DOCS} documents; ${PHASE_SECONDS} s per phase; ${db.url ? 'PostgreSQL server' : 'embedded PGlite (on disk)'}`,
    );
    console.log('| attack | victim p50 quiet → attacked (ms) | victim p99 quiet → attacked (ms) | p99 ratio | attacker requests (statuses) |');
    console.log('|---|---|---|---|---|');
    for (const [name, attack] of Object.entries(attacks)) {
      if (ONLY && !ONLY.has(name)) continue;
      const quiet = await victimPhase(base, B.kbPath, B.key, PHASE_SECONDS);
      let stop = false;
      const statuses = {};
      const attacker = (async () => {
        while (!stop) {
          const r = await attack().catch((e) => ({ status: String(e.code ?? e.message) }));
          statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        }
      })();
      const attacked = await victimPhase(base, B.kbPath, B.key, PHASE_SECONDS);
      stop = true;
      await attacker;
      const st = Object.entries(statuses)
        .map(([s, n]) => `${n}× ${s}`)
        .join(', ');
      console.log(
        `| ${name} | ${quiet.p50.toFixed(1)} → ${attacked.p50.toFixed(1)} | ${quiet.p99.toFixed(1)} → ${attacked.p99.toFixed(1)} | ${(attacked.p99 / quiet.p99).toFixed(2)} | ${st} |`,
      );
      if (quiet.errors || attacked.errors) console.log(`  victim errors: ${quiet.errors} quiet, ${attacked.errors} attacked`);
    }
  } finally {
    await server.close();
    await db.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    agent.destroy();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
