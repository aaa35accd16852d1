import { lr, LightragFixture, seedLightragFixture } from '../support/lightrag';
import { startTestApp, TestApp, TOKEN_SECRET } from '../support/test-app';
import { claimsOf, jwt } from '../support/jwt';

/** ADR 007 compatibility cases 1-4, 21, 22, 24, 27, 33: the server routes, credentials and workspace selection. */
describe('LightRAG compat: auth-status, login, health and workspace selection', () => {
  let t: TestApp;
  let f: LightragFixture;

  beforeAll(async () => {
    t = await startTestApp();
    f = await seedLightragFixture(t);
  });
  afterAll(() => t.close());

  it('#1 auth-status answers without credentials, LightRAG shape, auth enabled', async () => {
    const r = await lr(t, 'GET', '/auth-status');
    expect(r.status).toBe(200);
    expect(r.body.auth_configured).toBe(true);
    expect(r.body.auth_mode).toBe('enabled');
    expect(typeof r.body.core_version).toBe('string');
    expect(typeof r.body.api_version).toBe('string');
    expect(r.body).not.toHaveProperty('access_token');
    expect(r.body).not.toHaveProperty('data');
  });

  it('#2 form login gives a JWT; a wrong password is 401 Incorrect credentials', async () => {
    const form = (password: string) => `username=${f.alice.username}&password=${encodeURIComponent(password)}&grant_type=password`;
    const headers = { 'content-type': 'application/x-www-form-urlencoded' };
    const ok = await lr(t, 'POST', '/login', { raw: form(f.alice.password), headers });
    expect(ok.status).toBe(200);
    expect(ok.body.token_type).toBe('bearer');
    expect(ok.body.auth_mode).toBe('enabled');
    const parts = String(ok.body.access_token).split('.');
    expect(parts).toHaveLength(3);
    expect(JSON.parse(Buffer.from(parts[1], 'base64url').toString()).exp).toEqual(expect.any(Number));
    const bad = await lr(t, 'POST', '/login', { raw: form('wrong-password'), headers });
    expect(bad.status).toBe(401);
    expect(bad.body).toEqual({ detail: 'Incorrect credentials' });
    // the JWT works on the compat surface
    const h = await lr(t, 'GET', '/health', { as: { token: ok.body.access_token }, ws: 'Manuals' });
    expect(h.status).toBe(200);
    expect(h.body.configuration.workspace).toBe('Manuals');
  });

  it('form bodies are refused outside the compat login', async () => {
    const r = await t.http.request('POST', '/api/v1/auth/login', { raw: 'username=admin&password=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(r.status).toBe(415);
    expect(r.body.status).toBe('error');
  });

  it('#3 no credentials → 401; a wrong key → 403 Invalid API Key; a LightRAG guest token → 401', async () => {
    const none = await lr(t, 'GET', '/health');
    expect(none.status).toBe(401);
    expect(typeof none.body.detail).toBe('string');
    const wrong = await lr(t, 'GET', '/health', { as: { key: 'sk-wrong' } });
    expect(wrong.status).toBe(403);
    expect(wrong.body).toEqual({ detail: 'Invalid API Key' });
    const guest = jwt({ sub: 'guest', role: 'guest', exp: Math.floor(Date.now() / 1000) + 3600 }, { secret: 'lightrag-jwt-default-secret-key!' });
    const g = await lr(t, 'GET', '/health', { as: { token: guest } });
    expect(g.status).toBe(401);
    expect(typeof g.body.detail).toBe('string');
    expect(TOKEN_SECRET).not.toBe('lightrag-jwt-default-secret-key!');
  });

  it('#4 health with kM: healthy, every status-card field set, workspace Manuals, no key material', async () => {
    const r = await lr(t, 'GET', '/health', { as: f.kM });
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('healthy');
    expect(typeof r.body.pipeline_busy).toBe('boolean');
    for (const k of [
      'summary_language',
      'force_llm_summary_on_merge',
      'cosine_threshold',
      'min_rerank_score',
      'related_chunk_number',
      'max_parallel_insert',
      'llm_binding',
      'llm_binding_host',
      'llm_model',
      'max_async',
      'embedding_binding',
      'embedding_binding_host',
      'embedding_model',
      'embedding_func_max_async',
      'embedding_batch_num',
      'enable_rerank',
      'kv_storage',
      'doc_status_storage',
      'graph_storage',
      'vector_storage',
      'workspace',
      'max_graph_nodes',
    ])
      expect(r.body.configuration[k]).not.toBeNull();
    expect(r.body.configuration.workspace).toBe('Manuals');
    expect(r.text).not.toContain(f.kM.key!);
    expect(r.text).not.toContain(TOKEN_SECRET);
    expect(r.headers.get('x-strata-kb-id')).toBe(f.A.manualsId);
    expect(r.headers.get('vary')).toContain('LIGHTRAG-WORKSPACE');
  });

  it('#21 every spelling of a selector reaches the same KB', async () => {
    for (const ws of ['Manuals', 'manuals', f.A.manualsId, `${f.A.slug}__Manuals`, `${f.A.slug}/Manuals`, `${f.A.slug}:Manuals`]) {
      const r = await lr(t, 'GET', '/health', { as: f.kAll, ws });
      expect({ ws, status: r.status, kb: r.headers.get('x-strata-kb-id') }).toEqual({ ws, status: 200, kb: f.A.manualsId });
    }
    const x = await lr(t, 'GET', '/health', { as: f.kAll, headers: { 'x-workspace-id': 'Manuals' } });
    expect(x.headers.get('x-strata-kb-id')).toBe(f.A.manualsId);
    // a bare selector equal to the tenant's slug is its default KB (a migrated workspace)
    const mig = await lr(t, 'GET', '/health', { as: f.kAll, ws: f.A.slug });
    expect(mig.headers.get('x-strata-kb-id')).toBe(f.A.defaultId);
  });

  it('#22 unknown → 404; malformed → 400; another tenant → 403 with one body whether or not it exists', async () => {
    const nope = await lr(t, 'GET', '/health', { as: f.kAll, ws: 'Nope' });
    expect(nope.status).toBe(404);
    expect(nope.body).toEqual({ detail: "Workspace 'Nope' not found." });
    const bad = await lr(t, 'GET', '/health', { as: f.kAll, ws: 'bad<header>' });
    expect(bad.status).toBe(400);
    expect(typeof bad.body.detail).toBe('string');
    const foreign = await lr(t, 'GET', '/health', { as: f.kAll, ws: `${f.B.slug}__Secrets` });
    const missing = await lr(t, 'GET', '/health', { as: f.kAll, ws: `${f.B.slug}__DoesNotExist` });
    expect(foreign.status).toBe(403);
    expect(missing.status).toBe(403);
    expect(foreign.body.detail.replace('Secrets', 'X')).toBe(missing.body.detail.replace('DoesNotExist', 'X'));
    const byId = await lr(t, 'GET', '/health', { as: f.kAll, ws: `${f.B.tenantId}__${f.B.secretsId}` });
    expect(byId.status).toBe(403);
  });

  it('#24 a key bound to Manuals naming another KB is 403, never silently re-routed', async () => {
    const r = await lr(t, 'GET', '/health', { as: f.kM, ws: 'default' });
    expect(r.status).toBe(403);
    const unknown = await lr(t, 'GET', '/health', { as: f.kM, ws: 'NoSuchKb' });
    expect(unknown.status).toBe(403);
    expect(unknown.body.detail.replace('NoSuchKb', 'X')).toBe(r.body.detail.replace('default', 'X'));
  });

  it('#27 the path-scoped form selects the KB; a conflicting header is 400', async () => {
    const r = await t.http.request('GET', `/lightrag/w/${f.A.slug}__Manuals/health`, { as: f.kAll });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-strata-kb-id')).toBe(f.A.manualsId);
    const c = await t.http.request('GET', `/lightrag/w/${f.A.slug}__Manuals/health`, { as: f.kAll, headers: { 'lightrag-workspace': 'default' } });
    expect(c.status).toBe(400);
    expect(c.body).toEqual({ detail: 'Conflicting workspace selectors.' });
  });

  it('#33 errors carry detail, X-Request-Id and Vary; an unknown compat path is {"detail": "Not Found"}', async () => {
    const r = await lr(t, 'GET', '/health', { as: f.kAll, ws: 'Nope' });
    expect(r.headers.get('x-request-id')).toBeTruthy();
    expect(r.headers.get('vary')).toContain('LIGHTRAG-WORKSPACE');
    expect(r.body).not.toHaveProperty('error');
    const nf = await lr(t, 'GET', '/no/such/route', { as: f.kAll });
    expect(nf.status).toBe(404);
    expect(nf.body).toEqual({ detail: 'Not Found' });
    const badJson = await t.http.request('POST', '/lightrag/login', { raw: '{"username":', headers: { 'content-type': 'application/json' } });
    expect(badJson.status).toBe(422);
    expect(badJson.body.detail[0].type).toBe('json_invalid');
  });

  it('the platform admin names tenant__kb; a bare selector is a tenant slug (its default KB)', async () => {
    const r = await lr(t, 'GET', '/health', { as: t.admin, ws: `${f.B.slug}__Secrets` });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-strata-kb-id')).toBe(f.B.secretsId);
    const bare = await lr(t, 'GET', '/health', { as: t.admin, ws: f.A.slug });
    expect(bare.headers.get('x-strata-kb-id')).toBe(f.A.defaultId);
  });
});

describe('LightRAG compat: which KB a request without a selector reaches', () => {
  let t: TestApp;
  let f: LightragFixture;
  beforeAll(async () => {
    t = await startTestApp();
    f = await seedLightragFixture(t);
  });
  afterAll(() => t.close());

  it('non-strict: a wildcard key falls back to the KB named default; a one-KB key to its KB; health likewise', async () => {
    const all = await lr(t, 'GET', '/graph/label/list', { as: f.kAll });
    expect(all.status).toBe(200);
    expect(all.headers.get('x-strata-kb-id')).toBe(f.A.defaultId);
    const bound = await lr(t, 'GET', '/graph/label/list', { as: f.kM });
    expect(bound.headers.get('x-strata-kb-id')).toBe(f.A.manualsId);
    expect((await lr(t, 'GET', '/health', { as: f.kAll })).body.configuration.workspace).toBe('default');
  });

  it('non-strict: a tenant without a KB named default gets the missing-workspace 400, never another KB', async () => {
    const r = await lr(t, 'GET', '/graph/label/list', { as: f.kB });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ detail: 'Missing LIGHTRAG-WORKSPACE header. Workspace identification is required.' });
    // health never fails for want of a workspace
    const h = await lr(t, 'GET', '/health', { as: f.kB });
    expect(h.status).toBe(200);
    expect(h.body.configuration.workspace).toBe('');
  });
});

describe.each([
  ['LIGHTRAG_COMPAT_STRICT', 'true'],
  ['LIGHTRAG_ALLOW_DEFAULT_WORKSPACE', 'false'],
])('LightRAG compat strict mode (%s=%s)', (variable, value) => {
  let t: TestApp;
  let f: LightragFixture;
  beforeAll(async () => {
    t = await startTestApp({ env: { [variable]: value } });
    f = await seedLightragFixture(t);
  });
  afterAll(() => t.close());

  it('#26 (a) no selector with a wildcard key → 400; (b) a one-KB key is explicit → 200; health still answers', async () => {
    const a = await lr(t, 'GET', '/graph/label/list', { as: f.kAll });
    expect(a.status).toBe(400);
    expect(a.body).toEqual({ detail: 'Missing LIGHTRAG-WORKSPACE header. Workspace identification is required.' });
    const b = await lr(t, 'GET', '/graph/label/list', { as: f.kM });
    expect(b.status).toBe(200);
    expect(b.headers.get('x-strata-kb-id')).toBe(f.A.manualsId);
    const named = await lr(t, 'GET', '/graph/label/list', { as: f.kAll, ws: 'default' });
    expect(named.status).toBe(200);
    const h = await lr(t, 'GET', '/health', { as: f.kAll });
    expect(h.status).toBe(200);
    expect(h.body.configuration.workspace).toBe('');
    expect(h.body.pipeline_busy).toBe(false);
  });
});

describe('LightRAG compat with LIGHTRAG_COMPAT_WEBUI_AUTH=apikey', () => {
  let t: TestApp;
  let f: LightragFixture;
  beforeAll(async () => {
    t = await startTestApp({ env: { LIGHTRAG_COMPAT_WEBUI_AUTH: 'apikey' } });
    f = await seedLightragFixture(t);
  });
  afterAll(() => t.close());

  it('auth-status hands the WebUI an inert marker token; the marker alone is 403 API Key required; with a key it works', async () => {
    const s = await lr(t, 'GET', '/auth-status');
    expect(s.status).toBe(200);
    expect(s.body.auth_configured).toBe(false);
    expect(s.body.auth_mode).toBe('disabled');
    expect(typeof s.body.access_token).toBe('string');
    const marker = { token: s.body.access_token };
    const alone = await lr(t, 'GET', '/health', { as: marker });
    expect(alone.status).toBe(403);
    expect(alone.body).toEqual({ detail: 'API Key required' });
    const none = await lr(t, 'GET', '/health');
    expect(none.body).toEqual({ detail: 'API Key required' });
    // the WebUI then sends both: the marker as Bearer and the key as X-API-Key
    const both = await lr(t, 'GET', '/health', { as: { token: s.body.access_token, key: f.kM.key } });
    expect(both.status).toBe(200);
    expect(both.body.configuration.workspace).toBe('Manuals');
    // and the marker is nothing on the native API either
    expect((await t.http.get(`/api/v1/tenants/${f.A.tenantId}`, marker)).status).toBe(401);
  });
});

describe('LightRAG compat switched off (LIGHTRAG_COMPAT_PREFIX=off)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { LIGHTRAG_COMPAT_PREFIX: 'off' } });
  });
  afterAll(() => t.close());

  it('no /lightrag route is served; unknown paths answer in the native envelope', async () => {
    const r = await t.http.get('/lightrag/auth-status');
    expect(r.status).toBe(404);
    expect(r.body.status).toBe('error');
  });
});

describe('LightRAG compat CORS (LIGHTRAG_COMPAT_CORS_ORIGINS)', () => {
  let t: TestApp;
  let f: LightragFixture;
  const origin = 'https://webui.example.com';
  beforeAll(async () => {
    t = await startTestApp({ env: { LIGHTRAG_COMPAT_CORS_ORIGINS: origin } });
    f = await seedLightragFixture(t);
  });
  afterAll(() => t.close());

  it('a WebUI on the listed origin gets its preflight and CORS headers on /lightrag; other origins and the native API get none', async () => {
    const preflight = await t.http.request('OPTIONS', '/lightrag/query', {
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,lightrag-workspace' },
    });
    expect(preflight.status).toBeLessThan(300);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('lightrag-workspace');
    const get = await t.http.request('GET', '/lightrag/health', { as: f.kM, headers: { origin } });
    expect(get.headers.get('access-control-allow-origin')).toBe(origin);
    expect(get.headers.get('access-control-expose-headers')).toContain('X-Strata-Kb-Id');
    expect(get.headers.get('access-control-expose-headers')).toContain('X-New-Token');
    const other = await t.http.request('GET', '/lightrag/health', { as: f.kM, headers: { origin: 'https://evil.example.com' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const native = await t.http.request('GET', `/api/v1/tenants/${f.A.tenantId}`, { as: f.kAll, headers: { origin } });
    expect(native.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('LightRAG compat: token renewal (X-New-Token, TOKEN_AUTO_RENEW / TOKEN_RENEW_THRESHOLD)', () => {
  let t: TestApp;
  let f: LightragFixture;
  const login = async (username: string, password: string) => {
    const r = await lr(t, 'POST', '/login', {
      raw: `username=${username}&password=${encodeURIComponent(password)}&grant_type=password`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(r.status).toBe(200);
    return String(r.body.access_token);
  };
  /** The same claims as `token`, signed with the server's secret, issued `ageHours` ago and good for `leftHours` more. */
  const aged = (token: string, ageHours: number, leftHours: number) => {
    const now = Math.floor(Date.now() / 1000);
    return jwt({ ...claimsOf(token), iat: now - ageHours * 3600, exp: now + leftHours * 3600 }, { secret: TOKEN_SECRET });
  };
  const labels = (token: string, path = '/graph/label/list') => lr(t, 'GET', path, { as: { token }, ws: 'Manuals' });

  beforeAll(async () => {
    t = await startTestApp();
    f = await seedLightragFixture(t);
  });
  afterAll(() => t.close());

  it('a token with more than half its life left is not renewed; one past it gets a full-life token of the same account and version, once a minute', async () => {
    const fresh = await login(f.alice.username, f.alice.password);
    const first = await labels(fresh);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-new-token')).toBeNull();
    // 20 h into a 24 h token: a sixth of its life left.
    const old = aged(fresh, 20, 4);
    const renewed = await labels(old);
    expect(renewed.status).toBe(200);
    const next = renewed.headers.get('x-new-token');
    expect(next).toEqual(expect.any(String));
    const before = claimsOf(old);
    const after = claimsOf(next!);
    expect(after).toMatchObject({ sub: before.sub, username: before.username, kind: 'user', tenant_id: f.A.tenantId, role: 'member', ver: before.ver });
    expect(after.exp - after.iat).toBe(24 * 3600);
    expect(after.exp).toBeGreaterThan(before.exp);
    // The new token works, and is itself fresh: no renewal on it.
    const withNext = await labels(next!);
    expect(withNext.status).toBe(200);
    expect(withNext.headers.get('x-new-token')).toBeNull();
    // The old one again within the minute: no second renewal.
    const again = await labels(old);
    expect(again.status).toBe(200);
    expect(again.headers.get('x-new-token')).toBeNull();
  });

  it('never on /health or an API key, nor on a refused request; the renewed token ends with a password change like the old one', async () => {
    const u = { username: 'renewer', password: 'renewer-password-1' };
    const created = await t.http.post(`/api/v1/tenants/${f.A.tenantId}/users`, { ...u, role: 'viewer' }, t.admin);
    expect(created.status).toBe(201);
    const old = aged(await login(u.username, u.password), 23, 1);
    const health = await labels(old, '/health');
    expect(health.status).toBe(200);
    expect(health.headers.get('x-new-token')).toBeNull();
    const key = await lr(t, 'GET', '/graph/label/list', { as: f.kAll, ws: 'Manuals' });
    expect(key.status).toBe(200);
    expect(key.headers.get('x-new-token')).toBeNull();
    // Another tenant's workspace: refused by the guard, nothing renewed.
    const refused = await lr(t, 'GET', '/graph/label/list', { as: { token: old }, ws: `${f.B.slug}__Secrets` });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('x-new-token')).toBeNull();
    const renewed = await labels(old);
    const next = renewed.headers.get('x-new-token');
    expect(next).toEqual(expect.any(String));
    expect(claimsOf(next!).role).toBe('viewer');
    const changed = await t.http.patch(`/api/v1/tenants/${f.A.tenantId}/users/${claimsOf(old).sub}`, { password: 'renewer-password-2' }, t.admin);
    expect(changed.status).toBe(200);
    expect((await labels(next!)).status).toBe(401);
  });
});
