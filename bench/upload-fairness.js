#!/usr/bin/env node
/**
 * One tenant's slow uploads against another tenant's small ones: tenant B
 * uploads a short text file, one after another, while tenant A keeps
 * ATTACKERS uploads that are slow to parse in flight (5.4 MB of empty nested
 * tags, ~0.6 s of parsing each, a few letters of text). Each build runs a
 * quiet phase (B alone) and an attacked phase of PHASE_SECONDS; the table
 * gives B's upload latency in both and their ratio. With BASE_DIST (another
 * build's dist folder, e.g. of the commit before a change) the same runs on
 * that build too, in the same run, so the two rows compare side by side.
 * Each build runs as its own process on an on-disk PGlite (or DATABASE_URL's
 * server, a fresh database each).
 *
 * Env: PHASE_SECONDS (10), ATTACKERS (4), BASE_DIST.
 */
'use strict';

const path = require('node:path');
const { latencyPhase, withBenchServer } = require('./lib');

const PHASE_SECONDS = Number(process.env.PHASE_SECONDS ?? 10);
const ATTACKERS = Number(process.env.ATTACKERS ?? 4);
const BUILDS = [['this build', path.join(__dirname, '..', 'dist')], ...(process.env.BASE_DIST ? [['BASE_DIST', process.env.BASE_DIST]] : [])];

async function upload(base, kbPath, key, name, type, content) {
  const form = new FormData();
  form.append('file', new Blob([content], { type }), name);
  const t0 = process.hrtime.bigint();
  const r = await fetch(`${base}${kbPath}/documents/add`, { method: 'POST', headers: { 'x-api-key': key }, body: form });
  await r.arrayBuffer();
  return { status: r.status, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
}

/** Tenant B's small uploads, one at a time, for `seconds`: p50 and p99 of their latency. */
function victimPhase(server, B, seconds) {
  return latencyPhase(seconds, 1, async (i) => {
    const r = await upload(server.base, B.kbPath, B.key, `note-${i}.txt`, 'text/plain', `Tenant B's note ${i} of ${Date.now()} about the harbour.`);
    return { ok: r.status === 202, ms: r.ms };
  });
}

async function runBuild(label, dist) {
  // Rate limits out of the way: this measures sharing, not limits.
  await withBenchServer('uploadfair', { RATE_LIMIT_DOCUMENTS_PER_HOUR: '1000000' }, dist, async (server) => {
    const { call, admin } = server;
    const tenant = async (name) => {
      const t = (await call('POST', '/api/v1/tenants', { tenant_name: `${name} ${Date.now()}` }, admin)).data.tenant_id;
      const kb = (await call('POST', `/api/v1/tenants/${t}/knowledge-bases`, { kb_name: 'main' }, admin)).data.kb_id;
      const key = (await call('POST', `/api/v1/tenants/${t}/api-keys`, { key_name: 'app', knowledge_base_ids: [kb], permissions: ['document:write', 'document:read'] }, admin)).data
        .key;
      return { kbPath: `/api/v1/tenants/${t}/knowledge-bases/${kb}`, key };
    };
    const B = await tenant('Victim');
    const A = await tenant('Uploader');
    const tags = '<span><b><i></i></b></span>'.repeat(200_000);
    await victimPhase(server, B, 2); // warm: the compute threads started, the code paths loaded
    const quiet = await victimPhase(server, B, PHASE_SECONDS);
    let stop = false;
    let sent = 0;
    const statuses = {};
    const attackers = Array.from({ length: ATTACKERS }, async (_, a) => {
      while (!stop) {
        const r = await upload(server.base, A.kbPath, A.key, `slow-${a}-${sent}.html`, 'text/html', `<html><body>${tags}slow${a}x${sent++}x${Date.now()}</body></html>`).catch(
          (e) => ({
            status: String(e.code ?? e.message),
          }),
        );
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      }
    });
    await new Promise((r) => setTimeout(r, 1000)); // A's uploads are being parsed
    const attacked = await victimPhase(server, B, PHASE_SECONDS);
    stop = true;
    await Promise.all(attackers);
    const st = Object.entries(statuses)
      .map(([s, n]) => `${n}× ${s}`)
      .join(', ');
    console.log(
      `| ${label} | ${quiet.p50.toFixed(0)} → ${attacked.p50.toFixed(0)} | ${quiet.p99.toFixed(0)} → ${attacked.p99.toFixed(0)} | ${(attacked.p50 / quiet.p50).toFixed(1)}× | ${quiet.n} / ${attacked.n} | ${st} |`,
    );
    if (quiet.errors || attacked.errors) console.log(`  victim errors: ${quiet.errors} quiet, ${attacked.errors} attacked`);
  });
}

async function main() {
  console.log(
    `tenant B: small text uploads one at a time; tenant A: ${ATTACKERS} slow-to-parse uploads in flight; ${PHASE_SECONDS} s per phase; ${process.env.DATABASE_URL ? 'PostgreSQL server' : 'embedded PGlite (on disk)'}`,
  );
  console.log("| build | B's upload p50 quiet → attacked (ms) | p99 quiet → attacked (ms) | p50 ratio | B's uploads quiet / attacked | A's uploads (statuses) |");
  console.log('|---|---|---|---|---|---|');
  for (const [label, dist] of BUILDS) await runBuild(label, dist);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
