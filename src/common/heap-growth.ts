import { setFlagsFromString } from 'node:v8';

/**
 * Caps how far V8 lets the old generation grow between full collections, as
 * a percentage of the heap that survived the last one. V8's own factor is
 * dynamic and goes up to 4× for an allocation-heavy process whose collections
 * are fast: while a document is extracted (compromise builds a throw-away
 * model of every chunk), a server with ~150 MB live let its heap reach
 * ~520 MB of mostly garbage before collecting. 50 % keeps the peak near
 * 1.5× the live heap for a few more (incremental, ms-long) collections;
 * bench/ingest-rss.js has the figures (ADR 003).
 *
 * It sets V8's --heap-growing-percent at run time (read at every collection),
 * so it works however the server is started; 0 leaves V8's default. It is
 * process-wide, which is why only main.ts calls it, never the app factory
 * that tests and embedders use.
 *
 * Measured on Node 20 (V8 11). On Node 24 (V8 13) the flag is accepted but
 * the peak heap of the same workload does not follow it (270–370 MB with or
 * without), so there it is not a memory bound.
 */
export function applyHeapGrowth(percent: number): void {
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${Math.round(percent)}`);
}
