#!/usr/bin/env node
/**
 * One tenant verifying its long audit chain over and over against another
 * tenant's queries. Tenant A's chain is filled with ROWS audited queries
 * (each query is one `query.run` entry); then tenant B runs naive queries,
 * CLIENTS at a time, for a quiet phase and for an attacked phase in which A
 * keeps VERIFIERS verifies of its chain in flight (GET
 * …/audit-logs/verify, re-sent as each returns). The table gives B's query
 * latency in both phases, their ratio, and how many verifies A got answered.
 * With READ=list, A's requests are instead reads of its audit log's oldest
 * page (GET …/audit-logs?offset=ROWS-200&limit=200: a count of the whole
 * chain and a skip to its end).
 * With BASE_DIST (another build's dist folder, e.g. of the commit before a
 * change) the same runs on that build too, in the same run, so the rows
 * compare side by side. Each build runs as its own process on an on-disk
 * PGlite (or DATABASE_URL's server, a fresh database each).
 *
 * Env: ROWS (10000), VERIFIERS (20), CLIENTS (4), PHASE_SECONDS (10), READ (verify | list), BASE_DIST.
 */
'use strict';

const path = require('node:path');
const { harbourQuery, harbourTenant, latencyPhase, withBenchServer } = require('./lib');

const ROWS = Number(process.env.ROWS ?? 10_000);
const VERIFIERS = Number(process.env.VERIFIERS ?? 20);
const READ = process.env.READ === 'list' ? 'list' : 'verify';
const CLIENTS = Number(process.env.CLIENTS ?? 4);
const PHASE_SECONDS = Number(process.env.PHASE_SECONDS ?? 10);
const BUILDS = [['this build', path.join(__dirname, '..', 'dist')], ...(process.env.BASE_DIST ? [['BASE_DIST', process.env.BASE_DIST]] : [])];

async function timed(url, init) {
  const t0 = process.hrtime.bigint();
  const r = await fetch(url, init);
  await r.arrayBuffer();
  return { status: r.status, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
}

/** Tenant B's queries, CLIENTS at a time, for `seconds`: p50 and p99 of their latency. */
function victimPhase(base, B, seconds) {
  return latencyPhase(seconds, CLIENTS, async (i) => {
    const r = await harbourQuery(base, B, i);
    return { ok: r.status === 200, ms: r.ms };
  });
}

async function runBuild(label, dist) {
  await withBenchServer('auditfair', {}, dist, async (server) => {
    const { call, base } = server;
    const permissions = ['document:write', 'document:read', 'query:run', 'audit:read'];
    const B = await harbourTenant(server, 'Victim', permissions);
    const A = await harbourTenant(server, 'Verifier', permissions);
    // A's chain: ROWS audited queries, 8 at a time.
    let filled = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (filled < ROWS) {
          const r = await harbourQuery(base, A, filled++);
          if (r.status !== 200) throw new Error(`fill query → ${r.status}`);
        }
      }),
    );
    const first = await call('GET', `/api/v1/tenants/${A.tenantId}/audit-logs/verify`, undefined, { 'x-api-key': A.key });
    await victimPhase(base, B, 2); // warm
    const quiet = await victimPhase(base, B, PHASE_SECONDS);
    let stop = false;
    const attackUrl = `${base}/api/v1/tenants/${A.tenantId}/audit-logs${READ === 'list' ? `?offset=${Math.max(0, ROWS - 200)}&limit=200` : '/verify'}`;
    const verifies = { answered: 0, statuses: {} };
    const attackers = Array.from({ length: VERIFIERS }, async () => {
      while (!stop) {
        const r = await timed(attackUrl, { headers: { 'x-api-key': A.key } }).catch((e) => ({
          status: String(e.code ?? e.message),
        }));
        verifies.statuses[r.status] = (verifies.statuses[r.status] ?? 0) + 1;
        if (r.status === 200) verifies.answered++;
      }
    });
    await new Promise((r) => setTimeout(r, 500)); // A's verifies are in flight
    const attacked = await victimPhase(base, B, PHASE_SECONDS);
    stop = true;
    await Promise.all(attackers);
    const st = Object.entries(verifies.statuses)
      .map(([s, n]) => `${n}× ${s}`)
      .join(', ');
    console.log(
      `| ${label} | ${first.data.checked} | ${quiet.p50.toFixed(0)} → ${attacked.p50.toFixed(0)} | ${quiet.p99.toFixed(0)} → ${attacked.p99.toFixed(0)} | ${(attacked.p50 / quiet.p50).toFixed(1)}× / ${(attacked.p99 / quiet.p99).toFixed(1)}× | ${quiet.n} / ${attacked.n} | ${st} |`,
    );
    if (quiet.errors || attacked.errors) console.log(`  victim errors: ${quiet.errors} quiet, ${attacked.errors} attacked`);
  });
}

async function main() {
  console.log(
    `tenant B: naive queries, ${CLIENTS} clients; tenant A: ${VERIFIERS} ${READ === 'list' ? 'reads of its audit log' : 'verifies of its own audit chain'} in flight; ${PHASE_SECONDS} s per phase; ${process.env.DATABASE_URL ? 'PostgreSQL server' : 'embedded PGlite (on disk)'}`,
  );
  console.log(
    "| build | A's chain (rows) | B's query p50 quiet → attacked (ms) | p99 quiet → attacked (ms) | ratio p50 / p99 | B's queries quiet / attacked | A's requests (statuses) |",
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const [label, dist] of BUILDS) await runBuild(label, dist);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
