#!/usr/bin/env node
/**
 * Peak RSS while ingesting one big text file (issue 4: 20 MB must stream, not
 * balloon), and the ingestion throughput in chunks/s. Boots the built app
 * in-process (in-memory PGlite, or DATABASE_URL), uploads SIZE_MB of prose as
 * a .txt through POST …/documents/add, samples process RSS every 50 ms from
 * before the upload until the document is processed.
 *
 * Env: SIZE_MB (20), MAX_UPLOAD_MB (64), CHUNK_TOKENS (1200), MAX_SECONDS (3600:
 * stop waiting then and report the peak so far, with the document's status).
 */
'use strict';

require('reflect-metadata');
const path = require('node:path');
const { bootBenchApp } = require('./lib');

const SIZE_MB = Number(process.env.SIZE_MB ?? 20);
const CHUNK_TOKENS = Number(process.env.CHUNK_TOKENS ?? 1200);
const MAX_SECONDS = Number(process.env.MAX_SECONDS ?? 3600);

const NAMES = ['Ada Lovelace', 'Alan Turing', 'Grace Hopper', 'Marie Curie', 'Niels Bohr', 'Rosalind Franklin', 'Paris', 'Berlin', 'Lisbon', 'Oslo', 'Cairo', 'Lima'];
const VERBS = ['met', 'wrote to', 'visited', 'studied with', 'argued with', 'travelled to'];
const NOUNS = ['the harbour', 'a treaty', 'the observatory', 'a manuscript', 'the laboratory', 'an engine', 'the archive', 'a glacier'];
let seed = 11;
const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
const pick = (a) => a[Math.floor(rnd() * a.length)];

function prose(bytes) {
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

async function main() {
  const { app, base, call, admin } = await bootBenchApp({
    MAX_UPLOAD_MB: process.env.MAX_UPLOAD_MB ?? '64',
    WORKER_CONCURRENCY: '1',
  });
  const tenant = (await call('POST', '/api/v1/tenants', { tenant_name: `rss-${Date.now()}` }, admin)).data.tenant_id;
  const kb = (await call('POST', `/api/v1/tenants/${tenant}/knowledge-bases`, { kb_name: 'big', config: { chunk_token_size: CHUNK_TOKENS, chunk_overlap_token_size: Math.min(100, CHUNK_TOKENS / 4) } }, admin)).data.kb_id;

  let text = prose(SIZE_MB * 1024 * 1024);
  const bytes = Buffer.byteLength(text);
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);

  const started = Date.now();
  const form = new FormData();
  form.append('file', new Blob([text], { type: 'text/plain' }), 'big.txt');
  text = null;
  const res = await fetch(`${base}/api/v1/tenants/${tenant}/knowledge-bases/${kb}/documents/add`, { method: 'POST', headers: admin, body: form });
  const accepted = await res.json();
  if (res.status !== 202) throw new Error(`upload: ${res.status} ${JSON.stringify(accepted)}`);
  const uploadSeconds = (Date.now() - started) / 1000;
  let doc = null;
  for (;;) {
    try {
      doc = (await call('GET', `/api/v1/tenants/${tenant}/knowledge-bases/${kb}/documents/${accepted.data.document_id}`, null, admin)).data;
    } catch (err) {
      // PGlite runs in this thread: a long commit can stall the server past a keep-alive socket's life.
      console.log(`… poll failed (${err.cause?.code ?? err.message}); retrying`);
      doc = doc ?? { status: 'processing' };
    }
    if (doc.status === 'processed' || doc.status === 'failed') break;
    if ((Date.now() - started) / 1000 > MAX_SECONDS) break;
    if (Math.round((Date.now() - started) / 200) % 150 === 0) console.log(`… ${((Date.now() - started) / 1000).toFixed(0)} s, ${doc.status}, RSS now ${(process.memoryUsage().rss / 1048576).toFixed(0)} MB, peak ${(peak / 1048576).toFixed(0)} MB`);
    await new Promise((r) => setTimeout(r, 200));
  }
  clearInterval(sampler);
  const seconds = (Date.now() - started) / 1000;
  const mb = (x) => (x / 1024 / 1024).toFixed(0);
  console.log(`${(bytes / 1024 / 1024).toFixed(1)} MB text → ${doc.status}, ${doc.chunks_count} chunks of ${CHUNK_TOKENS} tokens in ${seconds.toFixed(1)} s (upload ${uploadSeconds.toFixed(1)} s)`);
  console.log(`throughput ${(doc.chunks_count / (seconds - uploadSeconds)).toFixed(1)} chunks/s, ${(bytes / 1024 / 1024 / seconds).toFixed(2)} MB/s`);
  console.log(`RSS: before upload ${mb(baseline)} MB, peak ${mb(peak)} MB (+${mb(peak - baseline)} MB)`);
  console.log(JSON.stringify({ bytes, chunks: doc.chunks_count, status: doc.status, error: doc.error, seconds, uploadSeconds, baselineRss: baseline, peakRss: peak }));
  await app.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
