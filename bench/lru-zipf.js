#!/usr/bin/env node
/**
 * Hit rate of the RAG instance LRU (src/rag/instance-cache.ts, the cache
 * behind RagInstanceFactory) under a Zipf(s) access pattern: KEYS knowledge
 * bases, CAPACITY cached instances, ACCESSES requests (after a warm-up of the
 * same length). Printed next to the best any cache of that size could do
 * (always holding the CAPACITY most popular KBs = their share of the Zipf
 * mass), because that bound, not the LRU, is what limits the figure.
 *
 * Env: KEYS (1000), CAPACITY (100), S (1.1), ACCESSES (200000), SEED (42).
 */
'use strict';

const path = require('node:path');
const { InstanceCache } = require(path.join(__dirname, '..', 'dist', 'src', 'rag', 'instance-cache'));

const KEYS = Number(process.env.KEYS ?? 1000);
const CAPACITY = Number(process.env.CAPACITY ?? 100);
const S = Number(process.env.S ?? 1.1);
const ACCESSES = Number(process.env.ACCESSES ?? 200000);
let seed = Number(process.env.SEED ?? 42);

// Deterministic PRNG (mulberry32) so runs are comparable.
function random() {
  seed |= 0;
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const weights = Array.from({ length: KEYS }, (_, i) => 1 / Math.pow(i + 1, S));
const total = weights.reduce((a, b) => a + b, 0);
const cdf = [];
weights.reduce((acc, w, i) => (cdf[i] = acc + w / total), 0);
function sample() {
  const u = random();
  let lo = 0;
  let hi = KEYS - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid] < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

async function main() {
  const counts = { hits: 0, misses: 0, evictions: 0 };
  let finalized = 0;
  const cache = new InstanceCache(
    CAPACITY,
    async (key) => ({ key }),
    () => void finalized++,
    { hit: () => counts.hits++, miss: () => counts.misses++, evict: () => counts.evictions++ },
  );
  for (let i = 0; i < ACCESSES; i++) await cache.get(`kb-${sample()}`);
  counts.hits = counts.misses = counts.evictions = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < ACCESSES; i++) await cache.get(`kb-${sample()}`);
  const ns = Number(process.hrtime.bigint() - started) / ACCESSES;
  const hitRate = (100 * counts.hits) / ACCESSES;
  const optimum = (100 * weights.slice(0, CAPACITY).reduce((a, b) => a + b, 0)) / total;
  console.log(`Zipf(${S}) over ${KEYS} KBs, ${CAPACITY} cached, ${ACCESSES} accesses after warm-up`);
  console.log(`LRU hit rate        ${hitRate.toFixed(2)} %  (${counts.evictions} evictions, all finalized: ${finalized >= counts.evictions})`);
  console.log(`best possible       ${optimum.toFixed(2)} %  (the ${CAPACITY} most popular KBs' share of requests)`);
  console.log(`cost per get        ${ns.toFixed(0)} ns`);
  console.log(JSON.stringify({ keys: KEYS, capacity: CAPACITY, s: S, hitRate, optimum, nsPerGet: ns }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
