import { declaredRoutes, fillPath, isCompatRoute } from '../support/route-matrix';
import { LightragFixture, seedLightragFixture } from '../support/lightrag';
import { addTextAndWait } from '../support/rag';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Every route of the LightRAG-compatible API (read from the running app, so
 * routes added later join by themselves), called by tenant A with hostile
 * bodies, query strings and workspace selectors, in both the header and the
 * path-scoped form. Every answer must be: below 500 (graph editing, including
 * documents/delete_entity and delete_relation, answers 501 by design), JSON, free of stack traces and SQL, and free of
 * tenant B's data. Bounded by count (routes × up to 18 cases × 2 forms) and
 * time: the calls go round-robin over the routes, so the first pass reaches
 * every route, and stop after LIGHTRAG_FUZZ_TIME_BUDGET_MS (default 45 s).
 */
const TIME_BUDGET_MS = Number(process.env.LIGHTRAG_FUZZ_TIME_BUDGET_MS ?? 45_000);
const SECRET = 'Zanzibar-Quokka-7731';
const STACK = /\n\s+at |node_modules|\.ts:\d+|SELECT |INSERT |syntax error at/;

const deep = (n: number): unknown => (n === 0 ? 'x' : { a: deep(n - 1) });
const BODIES: Array<[string, string, string]> = [
  ['array body', 'application/json', '[]'],
  ['string body', 'application/json', '"query"'],
  ['number body', 'application/json', '42'],
  ['null body', 'application/json', 'null'],
  ['truncated JSON', 'application/json', '{"query": "abc'],
  ['deep nesting', 'application/json', JSON.stringify(deep(2000))],
  [
    'wrong types',
    'application/json',
    JSON.stringify({ query: 12, text: [], texts: 'x', doc_ids: 'x', mode: {}, top_k: 'many', page: -1, page_size: 1e9, messages: 'x', model: 7, prompt: {} }),
  ],
  [
    'NUL bytes',
    'application/json',
    JSON.stringify({ query: 'a\u0000b\u0000c', text: 'x\u0000y', texts: ['\u0000'], doc_ids: ['\u0000'], messages: [{ role: 'user', content: '\u0000' }] }),
  ],
  [
    'huge strings',
    'application/json',
    JSON.stringify({ query: 'q'.repeat(200_000), text: 't '.repeat(100_000), file_source: 'f'.repeat(10_000), model: 'lightrag:' + 'm'.repeat(5000) }),
  ],
  [
    'huge arrays',
    'application/json',
    JSON.stringify({
      texts: Array(5000).fill('x'),
      doc_ids: Array(20_000).fill('doc-1'),
      conversation_history: Array(5000).fill({ role: 'user', content: 'x' }),
      messages: Array(5000).fill({ role: 'user', content: 'x' }),
    }),
  ],
  ['prototype pollution', 'application/json', '{"__proto__": {"admin": true}, "constructor": {"prototype": {"x": 1}}, "query": "what is there?"}'],
  ['invalid UTF-8', 'application/json', Buffer.from([0x7b, 0x22, 0x71, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]).toString('latin1')],
  ['form body', 'application/x-www-form-urlencoded', 'query=x&username=a'],
  ['text/plain', 'text/plain', 'hello'],
];
const QUERIES = [
  '?limit=-1&q=%00&label=%00&name=',
  '?limit=99999999999999999999&max_depth=1e9&max_nodes=NaN',
  `?q=${'%25'.repeat(300)}&label=${'a'.repeat(600)}`,
  '?q=%E0%A4%A&label=%FF',
];
const SELECTORS = ['../../etc/passwd', 'a'.repeat(5000), 'ゼロ__知識', '%00', ' ', 'globex__Secrets', '__', 'a:b:c/d__e'];

describe('LightRAG compat under hostile input: never a 500, never a stack, never another tenant', () => {
  let t: TestApp;
  let f: LightragFixture;
  let routes: string[];

  beforeAll(async () => {
    t = await startTestApp();
    f = await seedLightragFixture(t);
    await addTextAndWait(t.http, f.B.tenantId, f.B.secretsId, `The vault code is ${SECRET}, kept by Globex.`, 'vault.txt', f.kB);
    await addTextAndWait(t.http, f.A.tenantId, f.A.manualsId, 'The Manuals KB explains how to reset the router.', 'manual.txt', f.kAll);
    routes = [...new Set(declaredRoutes(t.app).map((d) => d.route))].filter(isCompatRoute);
  });
  afterAll(() => t.close());

  function problem(route: string, label: string, r: { status: number; text: string; headers: Headers }): string | null {
    const editing = / \/lightrag(\/w\/\{workspace\})?\/(graph\/(entity|relation|entities)\/(edit|create|merge|delete)|documents\/delete_(entity|relation))$/.test(route);
    if (r.status >= 500 && !(editing && r.status === 501)) return `${route} [${label}] → ${r.status} ${r.text.slice(0, 200)}`;
    const type = r.headers.get('content-type') ?? '';
    if (!type.includes('json')) return `${route} [${label}] → ${r.status} with content-type ${type}`;
    if (STACK.test(r.text)) return `${route} [${label}] → a stack trace or SQL: ${r.text.slice(0, 200)}`;
    if (r.text.includes(SECRET)) return `${route} [${label}] → tenant B's secret`;
    return null;
  }

  it('hostile bodies, query strings and selectors on every compat route', async () => {
    expect(routes.length).toBeGreaterThan(5);
    type Call = { route: string; label: string; url: string; init: RequestInit };
    const perRoute: Call[][] = [];
    for (const route of routes) {
      const [method] = route.split(' ');
      const calls: Call[] = [];
      const paths = route.includes('{workspace}')
        ? SELECTORS.map((ws) => [ws, fillPath(route, { workspace: ws, track_id: 'x' }).path])
        : [['header', fillPath(route, { track_id: 'insert_1' }).path]];
      for (const [ws, path] of paths) {
        const headers = (extra: Record<string, string>) => ({ 'x-api-key': f.kAll.key!, ...(ws === 'header' ? { 'lightrag-workspace': 'Manuals' } : {}), ...extra });
        const cases: Array<[string, RequestInit, string]> = [];
        if (['POST', 'PUT', 'PATCH', 'DELETE'].includes(method))
          for (const [label, type, body] of BODIES) cases.push([label, { method, headers: headers({ 'content-type': type }), body: Buffer.from(body, 'latin1') }, '']);
        for (const q of QUERIES) cases.push([`query ${q.slice(0, 40)}`, { method, headers: headers({}) }, q]);
        if (ws === 'header')
          for (const sel of SELECTORS)
            cases.push([`selector ${sel.slice(0, 20)}`, { method, headers: { ...headers({}), 'lightrag-workspace': Buffer.from(sel, 'utf8').toString('latin1') } }, '']);
        for (const [label, init, qs] of cases) calls.push({ route, label: `${ws.slice(0, 20)} ${label}`, url: t.url + path + qs, init });
      }
      perRoute.push(calls);
    }
    // Round-robin over the routes (every route is reached in the first pass), then bounded by time.
    const order: Call[] = [];
    for (let i = 0; perRoute.some((c) => i < c.length); i++) for (const c of perRoute) if (i < c.length) order.push(c[i]);
    const problems: string[] = [];
    const reached = new Set<string>();
    const started = Date.now();
    let calls = 0;
    for (const c of order) {
      if (calls >= routes.length && Date.now() - started > TIME_BUDGET_MS) break;
      const res = await fetch(c.url, c.init);
      calls++;
      reached.add(c.route);
      const p = problem(c.route, c.label, { status: res.status, text: await res.text(), headers: res.headers });
      if (p) problems.push(p);
    }
    process.stdout.write(`lightrag-hostile: ${calls} of ${order.length} calls over ${routes.length} routes in ${Date.now() - started} ms\n`);
    expect([...reached].sort()).toEqual([...routes].sort());
    expect(problems).toEqual([]);
    expect(calls).toBeGreaterThan(100);
    // nothing of the hostile traffic landed in B
    const b = await t.http.get(`/api/v1/tenants/${f.B.tenantId}/knowledge-bases/${f.B.secretsId}/documents`, f.kB);
    expect(b.body.data.map((d: { file_path: string }) => d.file_path)).toEqual(['vault.txt']);
  }, 180_000);
});
