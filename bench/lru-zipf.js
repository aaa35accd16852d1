#!/usr/bin/env node
/**
 * Hit rate of the RAG instance cache (src/rag/instance-cache.ts, the cache
 * behind RagInstanceFactory) under a Zipf(s) access pattern over KEYS
 * knowledge bases: plain LRU next to W-TinyLFU (the default policy), each
 * printed with its ratio to the best any cache of that size could do (always
 * holding the CAPACITY most popular KBs = their share of the Zipf mass),
 * because that bound, not the policy, is what limits the figure.
 *
 * Scenarios, each measured over ACCESSES requests after a warm-up of the same
 * length:
 *   static    Zipf(s), CAPACITY and CAPACITY2 cached
 *   shifting  the same Zipf, but halfway through the measurement the hot set
 *             moves to KBs that were cold (rank r becomes KB (r + KEYS/2) mod
 *             KEYS); the bound assumes an oracle that follows the shift
 *
 * Env: KEYS (1000), CAPACITY (100), CAPACITY2 (300), S (1.1), ACCESSES (200000), SEED (42).
 */
'use strict';

const path = require('node:path');
const { InstanceCache } = require(path.join(__dirname, '..', 'dist', 'src', 'rag', 'instance-cache'));

const KEYS = Number(process.env.KEYS ?? 1000);
const CAPACITY = Number(process.env.CAPACITY ?? 100);
const CAPACITY2 = Number(process.env.CAPACITY2 ?? 300);
const S = Number(process.env.S ?? 1.1);
const ACCESSES = Number(process.env.ACCESSES ?? 200000);
const SEED = Number(process.env.SEED ?? 42);

// Deterministic PRNG (mulberry32) so runs are comparable; every run of a
// scenario starts from SEED, so both policies see the same request stream.
function prng(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const weights = Array.from({ length: KEYS }, (_, i) => 1 / Math.pow(i + 1, S));
const total = weights.reduce((a, b) => a + b, 0);
const cdf = [];
weights.reduce((acc, w, i) => (cdf[i] = acc + w / total), 0);
function sampleRank(random) {
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
const before = (rank) => `kb-${rank}`;
const after = (rank) => `kb-${(rank + Math.floor(KEYS / 2)) % KEYS}`;
const bound = (capacity) => (100 * weights.slice(0, capacity).reduce((a, b) => a + b, 0)) / total;

/** Runs one policy over one scenario; `keyAt(i, rank)` maps the i-th measured request's Zipf rank to a KB. */
async function run(policy, capacity, keyAt) {
  const random = prng(SEED);
  const counts = { hits: 0, misses: 0, evictions: 0 };
  let finalized = 0;
  const cache = new InstanceCache(
    capacity,
    async (key) => ({ key }),
    () => void finalized++,
    { hit: () => counts.hits++, miss: () => counts.misses++, evict: () => counts.evictions++ },
    { policy },
  );
  for (let i = 0; i < ACCESSES; i++) await cache.get(before(sampleRank(random)));
  counts.hits = counts.misses = counts.evictions = 0;
  finalized = 0;
  const hitsAt = [];
  const started = process.hrtime.bigint();
  for (let i = 0; i < ACCESSES; i++) {
    await cache.get(keyAt(i, sampleRank(random)));
    hitsAt.push(counts.hits);
  }
  const ns = Number(process.hrtime.bigint() - started) / ACCESSES;
  const rate = (from, to) => (100 * (hitsAt[to - 1] - (from ? hitsAt[from - 1] : 0))) / (to - from);
  return { policy, hitRate: rate(0, ACCESSES), rate, evictions: counts.evictions, finalizedAll: finalized === counts.evictions, nsPerGet: ns, size: cache.size };
}

const pct = (x) => `${x.toFixed(2).padStart(6)} %`;
const ratio = (x, b) => (x / b).toFixed(3);

async function main() {
  console.log(`Zipf(${S}) over ${KEYS} KBs, ${ACCESSES} accesses after a warm-up of the same length (seed ${SEED})`);
  console.log("ratio = hit rate / bound; bound = the hottest KBs' share of requests (no cache of that size does better)\n");
  const results = [];
  console.log('scenario            cached   LRU        W-TinyLFU  bound      LRU/bound  TinyLFU/bound  ns/get LRU, TinyLFU');
  for (const capacity of [CAPACITY, CAPACITY2]) {
    const lru = await run('lru', capacity, (_, r) => before(r));
    const tlfu = await run('tinylfu', capacity, (_, r) => before(r));
    const b = bound(capacity);
    console.log(
      `static              ${String(capacity).padStart(6)}   ${pct(lru.hitRate)}   ${pct(tlfu.hitRate)}   ${pct(b)}   ${ratio(lru.hitRate, b).padStart(9)}  ${ratio(tlfu.hitRate, b).padStart(13)}  ${lru.nsPerGet.toFixed(0)}, ${tlfu.nsPerGet.toFixed(0)}`,
    );
    for (const r of [lru, tlfu]) if (!r.finalizedAll) console.log(`  ${r.policy}: evicted values not all finalized!`);
    results.push({ scenario: 'static', capacity, bound: b, lru: lru.hitRate, tinylfu: tlfu.hitRate, nsPerGet: { lru: lru.nsPerGet, tinylfu: tlfu.nsPerGet } });
  }

  const half = Math.floor(ACCESSES / 2);
  const settle = 10 * Math.floor(ACCESSES / 200);
  const shifting = (i, r) => (i < half ? before(r) : after(r));
  const lru = await run('lru', CAPACITY, shifting);
  const tlfu = await run('tinylfu', CAPACITY, shifting);
  const b = bound(CAPACITY);
  const windows = [
    ['whole run', 0, ACCESSES],
    ['before the shift', 0, half],
    [`first ${settle / 10} after it`, half, half + settle / 10],
    [`first ${settle} after it`, half, half + settle],
    [`rest after it`, half + settle, ACCESSES],
  ];
  console.log(`\nshifting popularity, ${CAPACITY} cached: at request ${half} the hot set moves to KBs that were cold`);
  console.log('window                        LRU        W-TinyLFU  bound      LRU/bound  TinyLFU/bound');
  const shiftRows = {};
  for (const [label, from, to] of windows) {
    const l = lru.rate(from, to);
    const t = tlfu.rate(from, to);
    shiftRows[label] = { lru: l, tinylfu: t };
    console.log(`${label.padEnd(28)}  ${pct(l)}   ${pct(t)}   ${pct(b)}   ${ratio(l, b).padStart(9)}  ${ratio(t, b).padStart(13)}`);
  }
  for (const r of [lru, tlfu]) if (!r.finalizedAll) console.log(`  ${r.policy}: evicted values not all finalized!`);
  results.push({ scenario: 'shifting', capacity: CAPACITY, bound: b, windows: shiftRows });
  console.log();
  console.log(JSON.stringify({ keys: KEYS, s: S, accesses: ACCESSES, seed: SEED, results }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
