import { randomUUID } from 'node:crypto';
import type { ApiResponse } from '../support/http';
import { rawRequest, RawResponse } from '../support/raw-http';
import { seedTenant, startTestApp, TestApp } from '../support/test-app';

/**
 * Client input that used to reach a 500 or an answer outside the contract's
 * envelope (issue 11, "500s on client input"): every one must be a 4xx
 * {"status":"error","error":{"code","message","request_id"}} with the same id
 * in X-Request-Id.
 */
function expectEnvelope(r: ApiResponse | RawResponse, status: number | number[], code?: string | RegExp): void {
  const statuses = Array.isArray(status) ? status : [status];
  const headerId = r.headers instanceof Headers ? r.headers.get('x-request-id') : (r.headers as Record<string, string>)['x-request-id'];
  const summary = `${r.status} ${String(r.text).slice(0, 300)}`;
  expect({ ok: statuses.includes(r.status), summary }).toEqual({ ok: true, summary });
  expect(r.body).toMatchObject({ status: 'error', error: { code: expect.any(String), message: expect.any(String), request_id: expect.any(String) } });
  if (code) expect(r.body.error.code).toMatch(code);
  expect(r.body.error.message.length).toBeGreaterThan(10);
  expect(headerId).toBe(r.body.error.request_id);
  expect(r.text).not.toMatch(/\n\s+at |node_modules|SyntaxError|RangeError/);
}

function deepJson(depth: number, open = '[', close = ']', inner = '1'): string {
  return open.repeat(depth) + inner + close.repeat(depth);
}

describe('hostile input answers 4xx in the envelope', () => {
  let t: TestApp;
  let A: Awaited<ReturnType<typeof seedTenant>>;
  let uploadPath: string;
  beforeAll(async () => {
    t = await startTestApp();
    A = await seedTenant(t, 'Envelope A');
    uploadPath = `/api/v1/tenants/${A.tenantId}/knowledge-bases/${A.kbIds[0]}/documents/add`;
  });
  afterAll(() => t.close());

  describe('JSON nested too deeply', () => {
    it.each([
      ['an array 10 000 deep in a field', () => `{"tenant_name":"deep","description":${deepJson(10_000)}}`],
      ['objects 10 000 deep', () => `{"tenant_name":"deep","description":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`],
      ['a bare array 10 000 deep', () => deepJson(10_000)],
    ])('%s → 400 VALIDATION_ERROR "nested too deeply"', async (_name, body) => {
      const r = await t.http.request('POST', '/api/v1/tenants', { raw: body(), as: t.admin, headers: { 'content-type': 'application/json' } });
      expectEnvelope(r, 400, 'VALIDATION_ERROR');
      expect(r.body.error.message).toMatch(/nested too deeply/);
    });

    it('on every kind of route: public login, a tenant route, a query', async () => {
      const body = `{"query":${deepJson(10_000, '{"x":', '}')}}`;
      for (const [path, as] of [
        ['/api/v1/auth/login', undefined],
        [`/api/v1/tenants/${A.tenantId}/knowledge-bases`, A.key],
        [`/api/v1/tenants/${A.tenantId}/knowledge-bases/${A.kbIds[0]}/query`, A.key],
      ] as const) {
        const r = await t.http.request('POST', path, { raw: body, as, headers: { 'content-type': 'application/json' } });
        expectEnvelope(r, 400, 'VALIDATION_ERROR');
      }
    });

    it('brackets inside strings are not nesting, and ordinary bodies still parse', async () => {
      const r = await t.http.post('/api/v1/tenants', { tenant_name: `Brackets ${randomUUID().slice(0, 8)}`, description: '[{'.repeat(200) + '\\"]' }, t.admin);
      expect(r.status).toBe(201);
      const poisoned = await t.http.request('POST', '/api/v1/tenants', {
        raw: '{"tenant_name":"p","__proto__":{"admin":true}}',
        as: t.admin,
        headers: { 'content-type': 'application/json' },
      });
      expectEnvelope(poisoned, 400, 'VALIDATION_ERROR');
      const broken = await t.http.request('POST', '/api/v1/tenants', { raw: '{"tenant_name":', as: t.admin, headers: { 'content-type': 'application/json' } });
      expectEnvelope(broken, 400, 'VALIDATION_ERROR');
    });
  });

  describe('malformed multipart on the upload route', () => {
    const file = (b: string) => `--${b}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello multipart\r\n`;
    const send = (contentType: string, raw: string | Buffer) => t.http.request('POST', uploadPath, { raw, as: A.key, headers: { 'content-type': contentType } });

    it.each([
      ['no boundary parameter', () => send('multipart/form-data', file('XyZ') + '--XyZ--\r\n')],
      ['an empty boundary', () => send('multipart/form-data; boundary=', file('XyZ') + '--XyZ--\r\n')],
      ['a boundary the body does not use', () => send('multipart/form-data; boundary=NotTheOne', file('XyZ') + '--XyZ--\r\n')],
      ['a body that ends before its closing boundary', () => send('multipart/form-data; boundary=XyZ', file('XyZ'))],
      ['a part that ends mid-headers', () => send('multipart/form-data; boundary=XyZ', '--XyZ\r\nContent-Disposition: form-data; name="file"; filena')],
      ['an empty body', () => send('multipart/form-data; boundary=XyZ', '')],
      ['binary garbage', () => send('multipart/form-data; boundary=XyZ', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131) % 256)))],
      ['a text field but no file', () => send('multipart/form-data; boundary=XyZ', '--XyZ\r\nContent-Disposition: form-data; name="note"\r\n\r\nhi\r\n--XyZ--\r\n')],
      ['a plain-text body', () => send('text/plain', 'just text')],
      ['a JSON body', () => send('application/json', '{"file":"x"}')],
      ['an unknown content type', () => send('application/x-strata-nonsense', 'x')],
    ])('%s → 4xx envelope', async (_name, go) => {
      const r = await go();
      expectEnvelope(r, [400, 413, 415]);
    });

    it('a well-formed upload is still accepted', async () => {
      const form = new FormData();
      form.append('file', new Blob(['A well formed upload about envelopes.'], { type: 'text/plain' }), 'ok.txt');
      const r = await t.http.request('POST', uploadPath, { raw: form, as: A.key });
      expect(r.status).toBe(202);
    });
  });

  describe('errors Fastify and Node raise before routing', () => {
    it('a path parameter longer than the router takes → 414 in the envelope', async () => {
      const r = await rawRequest(t.url, `GET /api/v1/tenants/${'a'.repeat(2000)} HTTP/1.1\r\nHost: x\r\nX-API-Key: ${A.key.key}\r\nConnection: close\r\n\r\n`);
      expectEnvelope(r, 414, 'URI_TOO_LONG');
    });

    it.each([['/api/v1/tenants/%zz'], ['/api/v1/tenants/%E0%A4%A'], [`/api/v1/tenants/%ff%fe/knowledge-bases`]])('bad %%-encoding %s → 400 in the envelope', async (path) => {
      const r = await rawRequest(t.url, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expectEnvelope(r, 400, 'VALIDATION_ERROR');
    });

    it('a Content-Length shorter than the body: the request and the leftover bytes both answer in the envelope', async () => {
      const body = '{"username":"admin","password":"x"}';
      const r = await rawRequest(t.url, `POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n${body}`);
      expectEnvelope(r, 400, 'VALIDATION_ERROR');
      // What follows the 5 bytes is not an HTTP request: Node's parser refuses it.
      const leftover = await rawRequest(t.url, `${body.slice(5)} HTTP/1.1\r\n\r\n`);
      expectEnvelope(leftover, 400, 'VALIDATION_ERROR');
    });

    it('a Content-Length longer than the body (client stops sending) → 400 in the envelope', async () => {
      const r = await rawRequest(t.url, `POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"username":"admin"`, {
        halfClose: true,
      });
      expectEnvelope(r, 400, 'VALIDATION_ERROR');
    });

    it.each([
      ['a non-numeric Content-Length', 'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n'],
      ['Content-Length with Transfer-Encoding', 'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
      ['a request line that is not HTTP', 'HELLO THERE\r\n\r\n'],
      ['a NUL in a header', 'GET /health HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0000b\r\n\r\n'],
    ])('%s → 400 in the envelope', async (_name, bytes) => {
      const r = await rawRequest(t.url, bytes);
      expectEnvelope(r, 400, 'VALIDATION_ERROR');
    });

    it('headers larger than Node accepts → 431 in the envelope', async () => {
      const r = await rawRequest(t.url, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`);
      expectEnvelope(r, 431, 'HEADERS_TOO_LARGE');
    });
  });
});
