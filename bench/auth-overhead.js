#!/usr/bin/env node
/**
 * What does authentication cost per request? (GitHub issue 3; `npm run bench:auth`)
 *
 * Boots the built app in-process (dist/, in-memory PGlite, LOG_LEVEL=silent)
 * through the real createApp(), with one bench-only controller added to the
 * root module. Its two routes run the SAME handler (returns {ok: true}, no
 * database) and have the same shape (two path params), so the only difference
 * is the global guard's work:
 *
 *   public   @Public(): the guard returns at its first check
 *   api-key  @RequirePermissions('kb:read') under /tenants/:tenantId/…/:kbId,
 *            called with a KB-scoped X-API-Key: HMAC + key cache, tenant status
 *            (cached), tenant/KB scope and permission checks, TenantContext —
 *            and, once the tenant is known, the per-tenant rate-limit counter
 *            (TenantThrottlerGuard, in-process storage; limits raised so it never refuses)
 *   jwt      the same route with a tenant owner's JWT: signature check
 *            (@nestjs/jwt verifyAsync, then remembered until exp) + user state
 *            (cached) + the same checks
 *
 * plus two references: GET /health, and the real KB read with the API key
 * (guard + a database transaction under RLS).
 *
 * One connection, no pipelining (latency without queueing); runs interleaved
 * (A, B, C, … A, B, C, …) to spread drift; each latency is taken from the
 * client's high-resolution timer (autocannon's own histogram rounds to 1 ms).
 *
 * Options (env): BENCH_SECONDS per run (2), BENCH_ROUNDS (4), BENCH_WARMUP_SECONDS (1).
 */
'use strict';

require('reflect-metadata');
const path = require('node:path');
const autocannon = require('autocannon');

const dist = path.join(__dirname, '..', 'dist', 'src');
const { Controller, Get, Param } = require('@nestjs/common');
const { AppModule } = require(path.join(dist, 'app.module'));
const { Public, RequirePermissions } = require(path.join(dist, 'context', 'decorators'));

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 1);
const ADMIN_PASSWORD = 'bench-admin-password';

// The bench-only controller: one handler body, two routes that differ only in their access declaration.
class BenchController {
  open(tenantId, kbId) {
    return { ok: true, tenantId, kbId };
  }
  guarded(tenantId, kbId) {
    return { ok: true, tenantId, kbId };
  }
}
const method = (name, decorators) => {
  const d = Object.getOwnPropertyDescriptor(BenchController.prototype, name);
  Reflect.decorate(decorators, BenchController.prototype, name, d);
  Param('tenantId')(BenchController.prototype, name, 0);
  Param('kbId')(BenchController.prototype, name, 1);
};
method('open', [Get('bench/public/:tenantId/kb/:kbId'), Public()]);
// Served under the global prefix (setGlobalPrefix('api/v1')), like every API route.
method('guarded', [Get('tenants/:tenantId/knowledge-bases/:kbId/bench'), RequirePermissions('kb:read')]);
Reflect.decorate([Controller()], BenchController);

const forRoot = AppModule.forRoot.bind(AppModule);
AppModule.forRoot = (settings) => {
  const mod = forRoot(settings);
  return { ...mod, controllers: [...(mod.controllers ?? []), BenchController] };
};
const { createApp } = require(path.join(dist, 'app.factory'));

async function api(base, method, url, body, headers = {}) {
  const res = await fetch(base + url, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
  return json.data;
}

function measure(url, headers, seconds) {
  return new Promise((resolve, reject) => {
    const latencies = [];
    let bad = 0;
    const instance = autocannon({ url, headers, connections: 1, pipelining: 1, duration: seconds }, (err) => {
      if (err) return reject(err);
      resolve({ latencies, bad });
    });
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode !== 200) bad++;
      else latencies.push(responseTime);
    });
  });
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  const env = {
    DATA_DIR: 'memory://',
    LOG_LEVEL: 'silent',
    ADMIN_USERNAME: 'admin',
    ADMIN_PASSWORD,
    TOKEN_SECRET: 'bench-token-secret-that-is-at-least-32-chars',
    // Keep rate limits out of the way: this measures authentication, not throttling.
    RATE_LIMIT_QUERIES_PER_MINUTE: '1000000',
    RATE_LIMIT_DOCUMENTS_PER_HOUR: '1000000',
  };
  const { app } = await createApp(env, { logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${app.getHttpServer().address().port}`;
  try {
    const admin = await api(base, 'POST', '/api/v1/auth/login', { username: 'admin', password: ADMIN_PASSWORD });
    const asAdmin = { authorization: `Bearer ${admin.access_token}` };
    const tenant = await api(base, 'POST', '/api/v1/tenants', { tenant_name: 'Bench' }, asAdmin);
    const kb = await api(base, 'POST', `/api/v1/tenants/${tenant.tenant_id}/knowledge-bases`, { kb_name: 'bench' }, asAdmin);
    const key = await api(base, 'POST', `/api/v1/tenants/${tenant.tenant_id}/api-keys`, { key_name: 'bench', knowledge_base_ids: [kb.kb_id], permissions: ['kb:read'] }, asAdmin);
    await api(base, 'POST', `/api/v1/tenants/${tenant.tenant_id}/users`, { username: 'bench-owner', password: 'bench-owner-password', role: 'owner' }, asAdmin);
    const owner = await api(base, 'POST', '/api/v1/auth/login', { username: 'bench-owner', password: 'bench-owner-password' });

    const ids = `${tenant.tenant_id}/kb/${kb.kb_id}`;
    const guarded = `${base}/api/v1/tenants/${tenant.tenant_id}/knowledge-bases/${kb.kb_id}/bench`;
    const variants = [
      { name: 'public (same handler, @Public)', url: `${base}/api/v1/bench/public/${ids}`, headers: {} },
      { name: 'api-key (same handler, guarded)', url: guarded, headers: { 'x-api-key': key.key } },
      { name: 'user jwt (same handler, guarded)', url: guarded, headers: { authorization: `Bearer ${owner.access_token}` } },
      { name: 'ref: GET /health (public)', url: `${base}/health`, headers: {} },
      { name: 'ref: GET kb with api-key (+DB, RLS)', url: `${base}/api/v1/tenants/${tenant.tenant_id}/knowledge-bases/${kb.kb_id}`, headers: { 'x-api-key': key.key } },
    ];

    for (const v of variants) {
      const check = await fetch(v.url, { headers: v.headers });
      if (check.status !== 200) throw new Error(`${v.name}: ${check.status} ${await check.text()}`);
      await measure(v.url, v.headers, WARMUP);
    }

    const runs = new Map(variants.map((v) => [v.name, []]));
    for (let round = 1; round <= ROUNDS; round++) {
      for (const v of variants) {
        const r = await measure(v.url, v.headers, SECONDS);
        if (r.bad) throw new Error(`${v.name}: ${r.bad} non-200 answers`);
        const s = r.latencies.sort((a, b) => a - b);
        runs.get(v.name).push({ p50: pct(s, 50), p99: pct(s, 99), n: s.length });
      }
      process.stderr.write(`round ${round}/${ROUNDS} done\n`);
    }

    const rows = variants.map((v) => {
      const rs = runs.get(v.name);
      return { name: v.name, p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)), n: rs.reduce((a, r) => a + r.n, 0), p50s: rs.map((r) => r.p50) };
    });
    const pub = rows[0];
    const fmt = (ms) => `${ms.toFixed(3)} ms`;
    console.log(`\nAuthentication overhead — ${ROUNDS} interleaved rounds × ${SECONDS}s each, 1 connection, in-memory PGlite, Node ${process.version}\n`);
    console.log(['variant'.padEnd(38), 'p50'.padStart(10), 'p99'.padStart(10), 'Δp50 vs public'.padStart(16), 'requests'.padStart(10)].join(' '));
    for (const r of rows) {
      console.log(
        [
          r.name.padEnd(38),
          fmt(r.p50).padStart(10),
          fmt(r.p99).padStart(10),
          (r === pub ? '—' : `${r.p50 >= pub.p50 ? '+' : '−'}${fmt(Math.abs(r.p50 - pub.p50))}`).padStart(16),
          String(r.n).padStart(10),
        ].join(' '),
      );
    }
    const keyDelta = rows[1].p50 - pub.p50;
    console.log(`\nper-round p50 (ms): ${rows.map((r) => `${r.name.split(' (')[0]}=[${r.p50s.map((x) => x.toFixed(3)).join(', ')}]`).join('  ')}`);
    console.log(`\nAPI-key auth + guard + context adds ${fmt(keyDelta)} at the median (target < 0.500 ms): ${keyDelta < 0.5 ? 'OK' : 'OVER TARGET'}`);
  } finally {
    await app.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
