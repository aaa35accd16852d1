import { randomUUID } from 'node:crypto';
import type { ApiResponse, Credentials } from '../support/http';
import { classOf, declaredRoutes, fillPath, isCompatRoute, openApiRoutes, ROUTE_TABLE, RouteDeclaration, routeParams, ruleOf } from '../support/route-matrix';
import { ALL_PERMISSIONS, createKey, METRICS_TOKEN, seedTenant, startTestApp, TestApp } from '../support/test-app';

/**
 * Issue 3: zero cross-tenant access, checked on every route the app serves.
 * The route list comes from the running app, so routes added later join the
 * matrix by themselves (and fail it until classified in test/support/route-matrix.ts).
 */
describe('tenancy matrix: every tenant and KB route denies foreign callers', () => {
  let t: TestApp;
  let routes: string[];
  let declarations: Map<string, RouteDeclaration>;
  const suffix = randomUUID().slice(0, 8);

  // Tenant A (the caller) and tenant B (the victim).
  let A: { tenantId: string; kbIds: string[]; key: Credentials; ownerToken: string; kb1Key: Credentials };
  let B: { tenantId: string; kbIds: string[]; keyId: string; userId: string; documentId: string | null };
  let secretsOfB: string[];
  let kb2DocumentId: string | null = null;
  let bSlug = '';

  async function login(username: string, password: string): Promise<string> {
    const r = await t.http.post('/api/v1/auth/login', { username, password });
    if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${r.text}`);
    return r.body.data.access_token;
  }

  async function createUser(tenantId: string, username: string, role: string): Promise<string> {
    const r = await t.http.post(`/api/v1/tenants/${tenantId}/users`, { username, password: 'correct-horse-battery', role }, t.admin);
    if (r.status !== 201) throw new Error(`user create: ${r.status} ${r.text}`);
    return r.body.data.user_id;
  }

  beforeAll(async () => {
    t = await startTestApp();
    const a = await seedTenant(t, `Alpha ${suffix}`, ['a-one', 'a-two']);
    await createUser(a.tenantId, `alpha-owner-${suffix}`, 'owner');
    A = {
      tenantId: a.tenantId,
      kbIds: a.kbIds,
      key: a.key,
      ownerToken: await login(`alpha-owner-${suffix}`, 'correct-horse-battery'),
      kb1Key: await createKey(t, a.tenantId, [a.kbIds[0]], ALL_PERMISSIONS),
    };

    const b = await seedTenant(t, `Bravo Secret ${suffix}`, [`bravo-kb-${suffix}`]);
    const bUser = await createUser(b.tenantId, `bravo-user-${suffix}`, 'member');
    const tenantB = (await t.http.get(`/api/v1/tenants/${b.tenantId}`, t.admin)).body.data;
    const keyB = (await t.http.get(`/api/v1/tenants/${b.tenantId}/api-keys/${b.key.keyId}`, t.admin)).body.data;

    const doc = JSON.parse((await t.http.get('/docs-json')).text);
    routes = [...new Set([...openApiRoutes(doc), ...declaredRoutes(t.app).map((d) => d.route)])].sort();
    declarations = new Map(declaredRoutes(t.app).map((d) => [d.route, d]));

    // A real document of B when the documents routes exist (they are added by other work).
    let documentId: string | null = null;
    const textRoute = 'POST /api/v1/tenants/{tenantId}/knowledge-bases/{kbId}/documents/text';
    if (routes.includes(textRoute)) {
      const { path } = fillPath(textRoute, { tenantId: b.tenantId, kbId: b.kbIds[0] });
      const r = await t.http.post(path, { text: `Bravo's confidential memo ${suffix}.`, file_source: `bravo-${suffix}.txt` }, t.admin);
      documentId = r.body?.data?.document_id ?? r.body?.data?.document_ids?.[0] ?? null;
    }
    if (routes.includes(textRoute) && !documentId) throw new Error('could not create a document of tenant B for the matrix');
    if (routes.includes(textRoute)) {
      const { path } = fillPath(textRoute, { tenantId: a.tenantId, kbId: a.kbIds[1] });
      const r = await t.http.post(path, { text: `Alpha's second KB holds this ${suffix}.` }, t.admin);
      kb2DocumentId = r.body?.data?.document_id ?? r.body?.data?.document_ids?.[0] ?? null;
    }
    B = { tenantId: b.tenantId, kbIds: b.kbIds, keyId: b.key.keyId, userId: bUser, documentId };
    bSlug = tenantB.slug;
    secretsOfB = [B.tenantId, ...B.kbIds, B.keyId, B.userId, tenantB.tenant_name, tenantB.slug, `bravo-kb-${suffix}`, `bravo-user-${suffix}`, keyB.key_prefix, b.key.key!];
    if (documentId) secretsOfB.push(documentId);
  });
  afterAll(() => t?.close());

  /** Path parameters: the victim's real ids where they exist, random UUIDs otherwise. */
  function idsOf(victim: { tenantId: string; kbId: string; keyId?: string; userId?: string; documentId?: string | null; workspace?: string }): Record<string, string> {
    return new Proxy({} as Record<string, string>, {
      get: (_, name: string) => {
        // The compat API's workspace selector (header or /w/{workspace} path): tenant__kb by ids unless told.
        if (name === 'workspace') return victim.workspace ?? `${victim.tenantId}__${victim.kbId}`;
        if (name === 'tenantId') return victim.tenantId;
        if (name === 'kbId') return victim.kbId;
        if (name === 'keyId') return victim.keyId ?? randomUUID();
        if (name === 'userId') return victim.userId ?? randomUUID();
        if (name === 'documentId') return victim.documentId ?? randomUUID();
        return randomUUID();
      },
    });
  }

  async function call(route: string, ids: Record<string, string>, as: Credentials, body?: unknown): Promise<ApiResponse & { path: string; sent: string }> {
    const { method, path } = fillPath(route, ids);
    const sendsBody = ['POST', 'PUT', 'PATCH'].includes(method);
    // A compat route served at /lightrag/… names its workspace in the LIGHTRAG-WORKSPACE header.
    const headers: Record<string, string> = isCompatRoute(route) && !route.includes('{workspace}') ? { 'lightrag-workspace': ids.workspace } : {};
    if (sendsBody && ruleOf(route)?.upload && body === undefined) {
      const form = new FormData();
      form.append('file', new Blob([`intruder upload ${randomUUID()}`], { type: 'text/plain' }), 'intruder.txt');
      return { ...(await t.http.request(method, path, { as, raw: form, headers })), path, sent: headers['lightrag-workspace'] ?? '' };
    }
    const r = await t.http.request(method, path, { as, headers, body: sendsBody ? (body ?? ruleOf(route)?.body ?? {}) : undefined });
    return { ...r, path, sent: headers['lightrag-workspace'] ?? '' };
  }

  /**
   * A denial must be a 403 FORBIDDEN envelope that carries nothing of B
   * (on the compat API: 403 {"detail"}; the selector the caller sent may be echoed).
   */
  function denialProblem(r: ApiResponse & { path?: string; sent?: string }, code = 'FORBIDDEN'): string | null {
    const sent = r.sent ?? '';
    const compat = r.path?.startsWith('/lightrag');
    if (r.status !== 403 || (compat ? typeof r.body?.detail !== 'string' : r.body?.error?.code !== code)) return `${r.status} ${r.text.slice(0, 200)}`;
    const leaked = secretsOfB.filter((s) => r.text.includes(s) && !sent.includes(s) && !(r.path ?? '').includes(s));
    if (leaked.length) return `403 but the body names ${leaked.join(', ')}`;
    return null;
  }

  const scoped = (cls: string) => routes.filter((r) => ruleOf(r)?.class === cls);
  const tenantAndKbRoutes = () => routes.filter((r) => ['tenant', 'kb', 'workspace'].includes(ruleOf(r)?.class ?? ''));

  it('every route the app serves is classified in test/support/route-matrix.ts', () => {
    expect(routes.length).toBeGreaterThan(20);
    const unclassified = routes.filter((r) => !ruleOf(r));
    expect(unclassified).toEqual([]);
    const stale = Object.entries(ROUTE_TABLE)
      .filter(([r, rule]) => !rule.planned && !routes.includes(r))
      .map(([r]) => r);
    expect(stale).toEqual([]);
  });

  it('every controller route is in the OpenAPI document (no route escapes the matrix through the docs)', async () => {
    const doc = JSON.parse((await t.http.get('/docs-json')).text);
    const documented = new Set(openApiRoutes(doc));
    // The LightRAG-compatible API is kept out of Strata's document (its shapes are LightRAG's); the matrix covers it below.
    expect([...declarations.keys()].filter((r) => !documented.has(r) && !isCompatRoute(r))).toEqual([]);
  });

  it('each declared class and permission set matches the route’s decorators', () => {
    const mismatches: string[] = [];
    for (const [route, d] of declarations) {
      const rule = ruleOf(route);
      if (!rule) continue; // reported by the first test
      const actual = classOf(d);
      if (actual !== rule.class) mismatches.push(`${route}: table says ${rule.class}, decorators and path say ${actual}`);
      const declared = [...(rule.permissions ?? [])].sort();
      if (JSON.stringify(declared) !== JSON.stringify(d.permissions)) mismatches.push(`${route}: table says [${declared}], decorators say [${d.permissions}]`);
      if ((rule.class === 'tenant' || rule.class === 'kb') && d.permissions.length === 0) mismatches.push(`${route}: a tenant route must require a permission`);
    }
    expect(mismatches).toEqual([]);
  });

  it('(a) tenant A’s all-powerful key and A’s owner token on tenant B’s ids → 403, nothing of B in the body', async () => {
    const problems: string[] = [];
    const victimIds = idsOf({ tenantId: B.tenantId, kbId: B.kbIds[0], keyId: B.keyId, userId: B.userId, documentId: B.documentId });
    for (const route of tenantAndKbRoutes()) {
      for (const [who, as] of [
        ['key', A.key],
        ['owner jwt', { token: A.ownerToken }],
      ] as const) {
        const r = await call(route, victimIds, as);
        const p = denialProblem(r);
        if (p) problems.push(`${who}: ${route} → ${p}`);
      }
    }
    expect(problems).toEqual([]);
    // B is untouched.
    const b = await t.http.get(`/api/v1/tenants/${B.tenantId}/knowledge-bases`, t.admin);
    expect(b.body.data.map((k: { kb_id: string }) => k.kb_id)).toEqual(B.kbIds);
  });

  it('(b) a key scoped to KB1 on its sibling KB2 → 403 on every KB route', async () => {
    const problems: string[] = [];
    for (const route of [...scoped('kb'), ...scoped('workspace')]) {
      const r = await call(route, idsOf({ tenantId: A.tenantId, kbId: A.kbIds[1] }), A.kb1Key);
      const p = denialProblem(r);
      if (p) problems.push(`${route} → ${p}`);
    }
    expect(problems).toEqual([]);
  });

  it('(c) a key of the right tenant and KB lacking exactly the needed permission → 403', async () => {
    const problems: string[] = [];
    const keys = new Map<string, Credentials>();
    for (const route of tenantAndKbRoutes()) {
      for (const missing of ruleOf(route)!.permissions ?? []) {
        if (!keys.has(missing))
          keys.set(
            missing,
            await createKey(
              t,
              A.tenantId,
              ['*'],
              ALL_PERMISSIONS.filter((p) => p !== missing),
            ),
          );
        const r = await call(route, idsOf({ tenantId: A.tenantId, kbId: A.kbIds[0] }), keys.get(missing)!);
        const p = denialProblem(r);
        if (p) problems.push(`without ${missing}: ${route} → ${p}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('(d) a random UUID as tenantId → 403 for keys and user tokens alike', async () => {
    const problems: string[] = [];
    for (const route of tenantAndKbRoutes()) {
      for (const [who, as] of [
        ['key', A.key],
        ['owner jwt', { token: A.ownerToken }],
      ] as const) {
        const r = await call(route, idsOf({ tenantId: randomUUID(), kbId: randomUUID() }), as);
        const p = denialProblem(r);
        if (p) problems.push(`${who}: ${route} → ${p}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('(e) B’s ids under A’s own tenant path (A’s all-powerful key) → 404 NOT_FOUND, nothing of B', async () => {
    const problems: string[] = [];
    const victimIds = idsOf({ tenantId: A.tenantId, kbId: B.kbIds[0], keyId: B.keyId, userId: B.userId, documentId: B.documentId });
    const withSubIds = tenantAndKbRoutes().filter((r) => !isCompatRoute(r) && routeParams(r).some((p) => p !== 'tenantId'));
    expect(withSubIds.length).toBeGreaterThan(5);
    for (const route of withSubIds) {
      const r = await call(route, victimIds, A.key);
      const leaked = secretsOfB.filter((s) => s !== B.tenantId && r.text.includes(s));
      if (r.status !== 404 || r.body?.error?.code !== 'NOT_FOUND') problems.push(`${route} → ${r.status} ${r.text.slice(0, 200)}`);
      else if (leaked.length) problems.push(`${route} → 404 but names ${leaked.join(', ')}`);
    }
    expect(problems).toEqual([]);
    const b = await t.http.get(`/api/v1/tenants/${B.tenantId}/knowledge-bases/${B.kbIds[0]}`, t.admin);
    expect(b.status).toBe(200);
  });

  it('(f) a KB1-scoped key reaching KB2’s sub-resources through KB1’s path → 404 NOT_FOUND', async () => {
    const withSubIds = scoped('kb').filter((r) => routeParams(r).some((p) => !['tenantId', 'kbId'].includes(p)));
    expect(withSubIds.length).toBeGreaterThan(0);
    if (withSubIds.some((r) => r.includes('{documentId}'))) expect(kb2DocumentId).not.toBeNull();
    const problems: string[] = [];
    for (const route of withSubIds) {
      const r = await call(route, idsOf({ tenantId: A.tenantId, kbId: A.kbIds[0], documentId: kb2DocumentId }), A.kb1Key);
      if (r.status !== 404 || r.body?.error?.code !== 'NOT_FOUND') problems.push(`${route} → ${r.status} ${r.text.slice(0, 200)}`);
      else if (kb2DocumentId && r.text.includes(A.kbIds[1])) problems.push(`${route} → 404 but names KB2`);
    }
    expect(problems).toEqual([]);
  });

  it('(w) compat routes: B’s KB named by name, by ids or not existing → one 403 body for A’s key, header and path form alike', async () => {
    const compat = scoped('workspace');
    expect(compat.length).toBeGreaterThan(0);
    const problems: string[] = [];
    for (const route of compat) {
      const bodies: string[] = [];
      for (const ws of [`${bSlug}__bravo-kb-${suffix}`, `${B.tenantId}__${B.kbIds[0]}`, `${bSlug}__no-such-kb-${suffix}`, `${randomUUID()}__${randomUUID()}`]) {
        const r = await call(route, idsOf({ tenantId: B.tenantId, kbId: B.kbIds[0], workspace: ws }), A.key);
        const p = denialProblem(r);
        if (p) problems.push(`${route} [${ws}] → ${p}`);
        bodies.push(String(r.body?.detail).replace(ws, '<selector>'));
      }
      if (new Set(bodies).size !== 1) problems.push(`${route}: the 403 bodies differ: ${[...new Set(bodies)].join(' | ')}`);
    }
    expect(problems).toEqual([]);
  });

  it('admin-only routes: a tenant key and a tenant owner token → 403', async () => {
    const problems: string[] = [];
    const adminOnly = scoped('admin-only');
    expect(adminOnly.length).toBeGreaterThan(0);
    for (const route of adminOnly) {
      for (const [who, as] of [
        ['key', A.key],
        ['owner jwt', { token: A.ownerToken }],
      ] as const) {
        const r = await call(route, idsOf({ tenantId: A.tenantId, kbId: A.kbIds[0] }), as);
        const p = denialProblem(r);
        if (p) problems.push(`${who}: ${route} → ${p}`);
      }
    }
    expect(problems).toEqual([]);
    const stillThere = await t.http.get(`/api/v1/tenants/${A.tenantId}`, t.admin);
    expect(stillThere.body.data.is_active).toBe(true);
  });

  it('self routes (any caller, no tenant in the path): each of A’s credentials gets its own answer, nothing of B', async () => {
    const self = scoped('self');
    expect(self.length).toBeGreaterThan(0);
    const problems: string[] = [];
    for (const route of self) {
      for (const [who, as] of [
        ['key', A.key],
        ['KB1 key', A.kb1Key],
        ['owner jwt', { token: A.ownerToken }],
      ] as const) {
        const r = await call(route, idsOf({ tenantId: A.tenantId, kbId: A.kbIds[0] }), as);
        const leaked = secretsOfB.filter((s) => r.text.includes(s));
        if (r.status !== 200) problems.push(`${who}: ${route} → ${r.status} ${r.text.slice(0, 200)}`);
        else if (r.body?.data?.tenant_id !== A.tenantId) problems.push(`${who}: ${route} → tenant ${r.body?.data?.tenant_id}, not A's`);
        else if (leaked.length) problems.push(`${who}: ${route} → names ${leaked.join(', ')}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('every non-public route refuses a request without credentials (401)', async () => {
    const problems: string[] = [];
    for (const route of routes.filter((r) => ruleOf(r) && ruleOf(r)!.class !== 'public')) {
      const r = await call(route, idsOf({ tenantId: B.tenantId, kbId: B.kbIds[0], workspace: `${B.tenantId}__${B.kbIds[0]}` }), {});
      // The compat API answers in LightRAG's shape: {"detail": "…"}.
      const unauthenticated = isCompatRoute(route) ? typeof r.body?.detail === 'string' : r.body?.error?.code === 'UNAUTHENTICATED';
      if (r.status !== 401 || !unauthenticated) problems.push(`${route} → ${r.status}`);
    }
    expect(problems).toEqual([]);
  });

  // Control: the 403s above come from tenancy, not from a guard that denies
  // everything. The same calls with exactly the needed permission on the
  // caller's own tenant get past the guard (random sub-resource ids and an
  // empty body keep them harmless: 2xx, 400 or 404, never 401/403/5xx).
  it('control: exactly the needed permission in the caller’s own tenant gets past the guard', async () => {
    const problems: string[] = [];
    const exactKeys = new Map<string, Credentials>();
    for (const route of tenantAndKbRoutes()) {
      // A compat route that needs no permission (health) still needs a key, and a key holds at least one.
      const perms = ruleOf(route)!.permissions?.length ? ruleOf(route)!.permissions! : ['kb:read'];
      const id = perms.join(',');
      if (!exactKeys.has(id)) exactKeys.set(id, await createKey(t, A.tenantId, ['*'], perms));
      const r = await call(route, idsOf({ tenantId: A.tenantId, kbId: randomUUID() }), exactKeys.get(id)!, {});
      if ([401, 403].includes(r.status) || r.status >= 500) problems.push(`${route} → ${r.status} ${r.text.slice(0, 200)}`);
    }
    expect(problems).toEqual([]);
  });

  it('control: public routes answer without credentials', async () => {
    const problems: string[] = [];
    for (const route of scoped('public')) {
      // @Public (no user or key), but /metrics still wants its scrape token (METRICS_TOKEN, ops-metrics spec).
      const r = await call(route, idsOf({ tenantId: A.tenantId, kbId: A.kbIds[0] }), route === 'GET /metrics' ? { token: METRICS_TOKEN } : {}, {});
      if ([401, 403].includes(r.status) || r.status >= 500) problems.push(`${route} → ${r.status}`);
    }
    expect(problems).toEqual([]);
  });
});
