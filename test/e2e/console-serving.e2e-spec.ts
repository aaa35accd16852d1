import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { rawRequest } from '../support/raw-http';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * The web console as the booted app serves it (src/web/console-assets.ts) from
 * the build `npm run build` wrote to dist/console (npm test builds first).
 */
const BUILT = join(__dirname, '..', '..', 'dist', 'console', 'index.html');

describe('the web console is served at /console/', () => {
  let t: TestApp;

  beforeAll(async () => {
    if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npm run build\` (it builds the server and the console) before this suite`);
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('/console/ answers the built index.html with the CSP, nosniff and no-cache; its script is a hashed asset cached for a year', async () => {
    const r = await fetch(`${t.url}/console/`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = r.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('cache-control')).toBe('no-cache');
    expect(r.headers.get('x-request-id')).toEqual(expect.any(String));
    const html = await r.text();
    expect(html).toBe(readFileSync(BUILT, 'utf8'));
    // No inline script: every <script> has a src under /console/assets/.
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const s of scripts) expect(s).toMatch(/src="\/console\/assets\/[^"]+\.js"/);
    const src = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)![1];
    const asset = await fetch(t.url + src);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('content-security-policy')).toBe(csp);
  });

  it('the JavaScript index.html loads at start is under 350 KB gzipped and holds no graph or Markdown library (the pages are separate, lazily loaded chunks)', async () => {
    const html = await (await fetch(`${t.url}/console/`)).text();
    const initial = [...html.matchAll(/<(?:script|link)\b[^>]*(?:src|href)="(\/console\/assets\/[^"]+\.js)"/g)].map((m) => m[1]);
    expect(initial.length).toBeGreaterThan(0);
    let gzipped = 0;
    let code = '';
    for (const path of initial) {
      const bytes = Buffer.from(await (await fetch(t.url + path)).arrayBuffer());
      gzipped += gzipSync(bytes).length;
      code += bytes.toString('utf8');
    }
    // The graph explorer's sigma.js/graphology and the playground's Markdown parser load with their pages only.
    for (const marker of ['graphology', 'WebGL', 'micromark', 'mdast']) expect({ marker, inInitialJs: code.includes(marker) }).toEqual({ marker, inInitialJs: false });
    // The figure recorded in adr/009-web-console.md; printed so a run shows the current one.
    console.log(`console initial JS: ${initial.length} file(s), ${(gzipped / 1024).toFixed(1)} KB gzipped`);
    expect(gzipped).toBeLessThan(350 * 1024);
    const chunks = readdirSync(join(__dirname, '..', '..', 'dist', 'console', 'assets')).filter((f) => f.endsWith('.js'));
    expect(chunks.length).toBeGreaterThan(initial.length);
  });

  it('a client-side route falls back to index.html; a missing asset is a 404 in the envelope', async () => {
    const r = await fetch(`${t.url}/console/tenants/8d0c7a52-34a4-4e47-9d4f-5b7a0e2b1c11/api-keys`);
    expect(r.status).toBe(200);
    expect(await r.text()).toBe(readFileSync(BUILT, 'utf8'));
    const missing = await t.http.get('/console/assets/no-such-file.js');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('NOT_FOUND');
    expect(missing.body.error.request_id).toEqual(expect.any(String));
  });

  it('/ and /console redirect to /console/', async () => {
    const root = await fetch(`${t.url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/console/');
    const bare = await fetch(`${t.url}/console`, { redirect: 'manual' });
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/console/');
  });

  it.each([
    '/console/../package.json',
    '/console/..%2fpackage.json',
    '/console/%2e%2e/package.json',
    '/console/%2e%2e%2f%2e%2e%2fpackage.json',
    '/console/assets/../../../package.json',
    '/console/assets/..%5c..%5c..%5cpackage.json',
    '/console/..%252fpackage.json',
    '/console//etc/passwd',
    '/console/%2fetc%2fpasswd',
  ])('a traversal attempt (%s) leaks no file', async (path) => {
    const r = await rawRequest(t.url, `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
    expect(r.status).toBeLessThan(500);
    expect(r.text).not.toContain('"name": "strata"');
    expect(r.text).not.toContain('root:');
    // Either a 4xx or the console's own index.html (a client route), nothing else.
    if (r.status === 200) expect(r.text).toBe(readFileSync(BUILT, 'utf8'));
  });

  it('the API, the probes and the docs are unaffected', async () => {
    expect((await t.http.get('/health')).status).toBe(200);
    const unknown = await t.http.get('/api/v1/no-such-route');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('NOT_FOUND');
    expect((await t.http.get('/api/v1/tenants', t.admin)).status).toBe(200);
    expect((await t.http.get('/docs-json')).status).toBe(200);
    // The console's headers are the console's: API answers carry no CSP of the console.
    expect((await t.http.get('/api/v1/tenants', t.admin)).headers.get('content-security-policy')).toBeNull();
  });
});
