#!/usr/bin/env node
/**
 * What fairness costs when nobody attacks: one tenant's naive, context-only
 * queries, CLIENTS at a time, for PHASE_SECONDS, on this build and on
 * BASE_DIST (another build's dist folder), alternating over ROUNDS rounds so
 * the machine's drift falls on both alike. Each phase runs on a fresh server
 * process and database (on-disk PGlite, or DATABASE_URL's server), after a
 * 2 s warm-up. Prints one row per phase and the mean of each build.
 *
 * Env: CLIENTS (4), PHASE_SECONDS (8), ROUNDS (3), BASE_DIST (required).
 */
'use strict';

const path = require('node:path');
const { harbourQuery, harbourTenant, latencyPhase, withBenchServer } = require('./lib');

const CLIENTS = Number(process.env.CLIENTS ?? 4);
const PHASE_SECONDS = Number(process.env.PHASE_SECONDS ?? 8);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
if (!process.env.BASE_DIST) {
  console.error('BASE_DIST is required: the dist folder of the build to compare with');
  process.exit(2);
}
const BUILDS = [
  ['this build', path.join(__dirname, '..', 'dist')],
  ['BASE_DIST', process.env.BASE_DIST],
];

async function phase(dist) {
  return withBenchServer('quiet', {}, dist, async (server) => {
    const T = await harbourTenant(server, 'Quiet', ['document:write', 'document:read', 'query:run']);
    const send = async (i) => {
      const r = await harbourQuery(server.base, T, i);
      return { ok: r.status === 200, ms: r.ms };
    };
    await latencyPhase(2, CLIENTS, send);
    return latencyPhase(PHASE_SECONDS, CLIENTS, send);
  });
}

async function main() {
  console.log(
    `one tenant, naive queries, ${CLIENTS} clients, ${PHASE_SECONDS} s per phase, ${ROUNDS} rounds; ${process.env.DATABASE_URL ? 'PostgreSQL server' : 'embedded PGlite (on disk)'}`,
  );
  console.log('| round | build | p50 (ms) | p99 (ms) | queries |');
  console.log('|---|---|---|---|---|');
  const sums = new Map(BUILDS.map(([label]) => [label, { p50: 0, p99: 0, n: 0 }]));
  for (let round = 1; round <= ROUNDS; round++)
    for (const [label, dist] of BUILDS) {
      const r = await phase(dist);
      if (r.errors) console.log(`  ${r.errors} queries failed`);
      const s = sums.get(label);
      s.p50 += r.p50 / ROUNDS;
      s.p99 += r.p99 / ROUNDS;
      s.n += r.n / ROUNDS;
      console.log(`| ${round} | ${label} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.n} |`);
    }
  const [a, b] = BUILDS.map(([label]) => sums.get(label));
  for (const [label] of BUILDS) {
    const s = sums.get(label);
    console.log(`| mean | ${label} | ${s.p50.toFixed(1)} | ${s.p99.toFixed(1)} | ${s.n.toFixed(0)} |`);
  }
  console.log(`this build / BASE_DIST: p50 ${(a.p50 / b.p50).toFixed(2)}×, p99 ${(a.p99 / b.p99).toFixed(2)}×, queries ${(a.n / b.n).toFixed(2)}×`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
