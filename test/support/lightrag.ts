import type { ApiResponse, Credentials } from './http';
import { ALL_PERMISSIONS, createKey, seedTenant, TestApp } from './test-app';

/**
 * The fixture of the LightRAG compatibility cases (ADR 007, compatibility cases):
 * tenant A (slug acme) with KBs Manuals and default; tenant B (slug globex)
 * with KB Secrets. kM = A's key bound to Manuals (document:*, query:run,
 * graph:read); kAll = A, every KB and permission; kB = B, every KB; alice = a
 * member of A.
 */
export interface LightragFixture {
  A: { tenantId: string; slug: string; manualsId: string; defaultId: string };
  B: { tenantId: string; slug: string; secretsId: string };
  kM: Credentials & { keyId: string };
  kAll: Credentials & { keyId: string };
  kB: Credentials & { keyId: string };
  alice: { username: string; password: string };
}

export async function seedLightragFixture(t: TestApp, suffix = ''): Promise<LightragFixture> {
  const a = await seedTenant(t, `Acme${suffix}`, ['Manuals', 'default']);
  const b = await seedTenant(t, `Globex${suffix}`, ['Secrets']);
  const slugOf = async (id: string) => (await t.http.get(`/api/v1/tenants/${id}`, t.admin)).body.data.slug as string;
  const kM = await createKey(t, a.tenantId, [a.kbIds[0]], ['document:read', 'document:write', 'document:delete', 'query:run', 'graph:read']);
  const kAll = await createKey(t, a.tenantId, ['*'], ALL_PERMISSIONS);
  const kB = await createKey(t, b.tenantId, ['*'], ALL_PERMISSIONS);
  const alice = { username: `alice${suffix}`, password: 'correct-horse-battery-staple' };
  const u = await t.http.post(`/api/v1/tenants/${a.tenantId}/users`, { ...alice, role: 'member' }, t.admin);
  if (u.status !== 201) throw new Error(`user create: ${u.status} ${u.text}`);
  return {
    A: { tenantId: a.tenantId, slug: await slugOf(a.tenantId), manualsId: a.kbIds[0], defaultId: a.kbIds[1] },
    B: { tenantId: b.tenantId, slug: await slugOf(b.tenantId), secretsId: b.kbIds[0] },
    kM,
    kAll,
    kB,
    alice,
  };
}

/** A compat request: `ws` sets LIGHTRAG-WORKSPACE; `headers` anything else. */
export function lr(
  t: TestApp,
  method: string,
  path: string,
  opts: { as?: Credentials; ws?: string; body?: unknown; headers?: Record<string, string>; raw?: string | FormData } = {},
): Promise<ApiResponse> {
  const headers = { ...(opts.headers ?? {}) };
  if (opts.ws !== undefined) headers['lightrag-workspace'] = opts.ws;
  return t.http.request(method, `/lightrag${path}`, { as: opts.as, body: opts.body, raw: opts.raw, headers });
}

/** Polls until `done` holds (at most `ms`), returning the last response. */
export async function pollUntil(get: () => Promise<ApiResponse>, done: (r: ApiResponse) => boolean, ms = 60_000): Promise<ApiResponse> {
  const until = Date.now() + ms;
  let last = await get();
  while (!done(last) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 100));
    last = await get();
  }
  return last;
}
