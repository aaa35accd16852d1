import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { FakeOpenAiServer } from '../support/fake-openai-server';
import { createKey, seedTenant, startTestApp, TestApp } from '../support/test-app';
import { docxBomb } from '../../src/documents/parsers/testing/fixtures';

/**
 * FUZZ SUITE GENERATED FROM /docs-json (issue 11, "Done when").
 *
 * Every operation the app's OpenAPI document lists is called with hostile
 * variants of its path parameters, query and body: wrong types, missing and
 * extra fields, huge strings, deep nesting, invalid UTF-8, NUL bytes, path
 * traversal and odd ids, malformed multipart. Credentials are tenant A's
 * (mostly), none, tenant B's, or the admin's. Every answer must be:
 *   - never ≥ 500;
 *   - when not 2xx, the contract's envelope with a code, a sentence and a
 *     request_id equal to X-Request-Id;
 *   - free of stack traces and SQL text;
 *   - free of the other tenant's ids and names (unless the request itself
 *     carried them).
 *
 * Bounded by count (FUZZ_MAX_REQUESTS, default 3 000) and time
 * (FUZZ_TIME_BUDGET_MS, default 20 s) — whichever comes first; a seeded PRNG
 * picks the cases, and the seed is printed: FUZZ_SEED=<seed> replays a run.
 * No timing is asserted (the machine is shared); a request gets a generous
 * 60 s before it counts as unanswered.
 */
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const MAX_REQUESTS = Number(process.env.FUZZ_MAX_REQUESTS ?? 3000);
const TIME_BUDGET_MS = Number(process.env.FUZZ_TIME_BUDGET_MS ?? 20_000);
const REQUEST_TIMEOUT_MS = 60_000;

/** mulberry32: small, seeded, good enough to pick test cases reproducibly. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick<T>(xs: readonly T[]): T {
      return xs[Math.floor(next() * xs.length)];
    },
    chance: (p: number) => next() < p,
  };
}

interface Sent {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** A loopback source address, so the login fuzz does not trip the per-IP failure limit for the rest. */
  localAddress?: string;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** node:http, not fetch: paths, headers and bytes go out exactly as written (no normalising of ".." or bad escapes). */
function send(baseUrl: string, req: Sent): Promise<Answer> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers };
    if (req.body) headers['content-length'] = String(req.body.length);
    const r = httpRequest({ host: hostname, port: Number(port), method: req.method, path: req.path, headers, localAddress: req.localAddress, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (d: Buffer) => {
        size += d.length;
        if (size <= 4 * 1024 * 1024) chunks.push(d);
        else res.destroy();
      });
      const done = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
      res.on('end', done);
      res.on('close', done);
    });
    r.setTimeout(REQUEST_TIMEOUT_MS, () => r.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
    r.on('error', reject);
    r.end(req.body);
  });
}

type Schema = {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  example?: unknown;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  allOf?: Schema[];
};
interface Operation {
  method: string;
  template: string;
  pathParams: string[];
  queryParams: string[];
  bodySchema: Schema | null;
  multipart: boolean;
}

function operationsOf(doc: any): Operation[] {
  const ops: Operation[] = [];
  for (const [template, item] of Object.entries<any>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const params: any[] = op.parameters ?? [];
      const content = op.requestBody?.content ?? {};
      ops.push({
        method: method.toUpperCase(),
        template,
        pathParams: [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]),
        queryParams: params.filter((p) => p.in === 'query').map((p) => p.name),
        bodySchema: content['application/json']?.schema ?? content['multipart/form-data']?.schema ?? null,
        multipart: !!content['multipart/form-data'],
      });
    }
  }
  return ops;
}

const HOSTILE_SCALARS: unknown[] = [
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  true,
  false,
  null,
  '',
  ' ',
  'null',
  '0',
  '-1',
  '1e999',
  'NaN',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '😀'.repeat(50),
  '‮rtl',
  "' OR '1'='1",
  '"; DROP TABLE tenants; --',
  '../../../../etc/passwd',
  '${jndi:x}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '*',
  '%',
  '%00',
  '%ff',
];
const HOSTILE_SHAPES: unknown[] = [[], {}, [null], [[[]]], { $gt: '' }, { __proto__: { admin: true } }, { constructor: { prototype: { admin: true } } }, ['*'], [1, 'two', null]];

function nested(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? '['.repeat(depth) + '1' + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

describe('fuzz: every operation of /docs-json answers < 500, in the envelope, without leaks', () => {
  let t: TestApp;
  let fake: FakeOpenAiServer;
  let ops: Operation[];
  let schemas: Record<string, Schema>;
  type Tenant = Awaited<ReturnType<typeof seedTenant>> & { userId: string; documentId: string; name: string; kbName: string; username: string; marker: string; extraKeyId: string };
  let A: Tenant;
  let B: Tenant;

  async function tenant(label: string): Promise<Tenant> {
    const name = `Fuzz ${label} ${randomUUID().slice(0, 8)}`;
    const kbName = `kb-${label.toLowerCase()}-${randomUUID().slice(0, 8)}`;
    const seeded = await seedTenant(t, name, [kbName]);
    const username = `user-${label.toLowerCase()}-${randomUUID().slice(0, 8)}`;
    const user = await t.http.post(`/api/v1/tenants/${seeded.tenantId}/users`, { username, password: 'fuzz-password-1', role: 'member' }, t.admin);
    if (user.status !== 201) throw new Error(`user create failed: ${user.status} ${user.text}`);
    const marker = `marker${label}${randomUUID().replace(/-/g, '')}`;
    const doc = await t.http.post(
      `/api/v1/tenants/${seeded.tenantId}/knowledge-bases/${seeded.kbIds[0]}/documents/text`,
      { text: `The ${marker} document of tenant ${label}.` },
      seeded.key,
    );
    if (doc.status !== 202) throw new Error(`document add failed: ${doc.status} ${doc.text}`);
    const extra = await createKey(t, seeded.tenantId, ['*'], ['kb:read']);
    const userId = user.body.data.user_id ?? user.body.data.id;
    return { ...seeded, userId, documentId: doc.body.data.document_id, name, kbName, username, marker, extraKeyId: extra.keyId };
  }

  /** Strings that must never reach a caller outside tenant `x`. */
  const secretsOf = (x: Tenant) => [x.tenantId, x.kbIds[0], x.key.keyId, x.key.key!, x.extraKeyId, x.userId, x.documentId, x.name, x.kbName, x.username, x.marker].filter(Boolean);

  beforeAll(async () => {
    fake = await new FakeOpenAiServer().start();
    t = await startTestApp({
      env: {
        // A tenant's own LLM key (PUT /llm-key) sends its queries to this local fake, never off the machine.
        LLM_BINDING_HOST: fake.url,
        ENCRYPTION_KEY: 'ef'.repeat(32),
        RATE_LIMIT_QUERIES_PER_MINUTE: '1000000',
        RATE_LIMIT_DOCUMENTS_PER_HOUR: '1000000',
        PARSE_TIMEOUT_S: '30',
        // A document that gets through (the decompression bomb, before the parser caps land) fails after 10 s of work
        // instead of keeping the worker (and app.close) busy for minutes.
        JOB_TIME_BUDGET_S: '10',
      },
    });
    const doc = await t.http.get('/docs-json');
    expect(doc.status).toBe(200);
    ops = operationsOf(doc.body);
    schemas = doc.body.components?.schemas ?? {};
    A = await tenant('A');
    B = await tenant('B');
    await restore(A);
    await restore(B);
    process.stdout.write(`fuzz-openapi: seed ${SEED} (rerun with FUZZ_SEED=${SEED}), ${ops.length} operations, at most ${MAX_REQUESTS} requests / ${TIME_BUDGET_MS} ms\n`);
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await fake?.stop();
  });

  const resolve = (s: Schema | undefined): Schema => {
    let cur = s ?? {};
    for (let i = 0; cur.$ref && i < 10; i++) cur = schemas[cur.$ref.split('/').pop()!] ?? {};
    if (cur.allOf?.length) cur = Object.assign({}, ...cur.allOf.map(resolve));
    return cur;
  };

  /** A plausible value for a schema (examples and enums first), so mutations start from something the DTO accepts. */
  function plausible(rnd: ReturnType<typeof prng>, s0: Schema | undefined, field = ''): unknown {
    const s = resolve(s0);
    if (s.example !== undefined && rnd.chance(0.7)) return s.example;
    if (s.enum?.length) return rnd.pick(s.enum);
    switch (s.type) {
      case 'object': {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(s.properties ?? {})) if ((s.required ?? []).includes(k) || rnd.chance(0.5)) out[k] = plausible(rnd, v, k);
        return out;
      }
      case 'array':
        return rnd.chance(0.2) ? [] : [plausible(rnd, s.items, field)];
      case 'integer':
      case 'number':
        return s.minimum ?? 1;
      case 'boolean':
        return rnd.chance(0.5);
      default:
        if (/password/.test(field)) return 'fuzz-password-2';
        if (/username/.test(field)) return `fz-${rnd.int(1e9)}`;
        if (/_ids?$|Id$/.test(field)) return rnd.pick([A.kbIds[0], B.kbIds[0], randomUUID(), '*']);
        return `fuzz ${field} ${rnd.int(1e6)}`;
    }
  }

  interface Case {
    label: string;
    sent: Sent;
    as: 'A' | 'B' | 'none' | 'admin';
  }

  function pathValue(rnd: ReturnType<typeof prng>, name: string, method: string): string {
    const own: Record<string, string> = { tenantId: A.tenantId, kbId: A.kbIds[0], keyId: A.extraKeyId, userId: A.userId, documentId: A.documentId };
    const other: Record<string, string> = { tenantId: B.tenantId, kbId: B.kbIds[0], keyId: B.extraKeyId, userId: B.userId, documentId: B.documentId };
    const odd = [
      randomUUID(),
      '00000000-0000-0000-0000-000000000000',
      // The same id in capitals is the same id (UUIDs compare case-insensitively): never for a DELETE, which
      // would end A (an admin DELETE of A's tenant in capitals did, with seed 67693072).
      (method === 'DELETE' ? randomUUID() : (own[name] ?? randomUUID())).toUpperCase(),
      `${own[name] ?? randomUUID()}x`,
      '..%2F..%2F..%2Fetc%2Fpasswd',
      '%2e%2e',
      '..',
      '%00',
      'a%00b',
      'null',
      'undefined',
      '-1',
      '0',
      '1e309',
      '*',
      '%25',
      '%20',
      "'%20OR%20'1'='1",
      '%E6%97%A5%E6%9C%AC',
      '%F0%9F%98%80',
      '%ff',
      '%C0%AF',
      '%E0%A4%A',
      'x'.repeat(400),
      'x'.repeat(600),
      `${own[name] ?? 'id'};DROP%20TABLE%20users`,
    ];
    const roll = rnd.next();
    // Real ids of A only for reads and writes: a DELETE of A's own KB or key would end the fuzz early.
    if (roll < 0.45 && own[name] && method !== 'DELETE') return own[name];
    // Nor B's tenant: the admin would delete it, and B's key would then count as failed logins against this client IP.
    if (roll < 0.6 && other[name] && !(method === 'DELETE' && name === 'tenantId')) return other[name];
    return rnd.pick(odd);
  }

  function queryString(rnd: ReturnType<typeof prng>, op: Operation): string {
    if (!rnd.chance(0.6)) return '';
    const values = ['-1', '0', '1', '201', 'abc', '1e400', '', 'null', 'true', '%00', '%ff', 'x'.repeat(3000), '2024-13-45', '..%2F..', '[]', '%5B%5D', "'%3B--"];
    const parts: string[] = [];
    for (const q of op.queryParams) if (rnd.chance(0.6)) parts.push(`${q}=${rnd.pick(values)}`);
    if (op.queryParams.length && rnd.chance(0.2)) parts.push(`${op.queryParams[0]}=1&${op.queryParams[0]}=2`);
    if (rnd.chance(0.2)) parts.push(`unknown_param=${rnd.pick(values)}`);
    if (rnd.chance(0.05)) parts.push('__proto__[admin]=true');
    return parts.length ? `?${parts.join('&')}` : '';
  }

  /** A JSON-ish body for an operation: one hostile mutation of a plausible value. */
  function jsonBody(rnd: ReturnType<typeof prng>, op: Operation): { label: string; body: Buffer; contentType: string } {
    const base = op.bodySchema ? plausible(rnd, op.bodySchema) : {};
    const obj = (base && typeof base === 'object' && !Array.isArray(base) ? { ...(base as object) } : {}) as Record<string, unknown>;
    const fields = Object.keys(resolve(op.bodySchema ?? {}).properties ?? {});
    const field = fields.length ? rnd.pick(fields) : 'anything';
    const json = (label: string, v: unknown) => ({ label, body: Buffer.from(JSON.stringify(v)), contentType: 'application/json' });
    const raw = (label: string, s: string | Buffer, contentType = 'application/json') => ({ label, body: Buffer.isBuffer(s) ? s : Buffer.from(s), contentType });
    switch (rnd.int(14)) {
      case 0:
        return json('plausible body', obj);
      case 1:
        return json(`wrong type in ${field}`, { ...obj, [field]: rnd.pick([...HOSTILE_SCALARS, ...HOSTILE_SHAPES]) });
      case 2: {
        const missing = { ...obj };
        delete missing[field];
        return json(`missing ${field}`, rnd.chance(0.3) ? {} : missing);
      }
      case 3:
        return json('extra fields', { ...obj, extra_field: 1, [`x${rnd.int(1e6)}`]: 'y', is_admin: true, tenant_id: B.tenantId });
      case 4:
        return json(`huge string in ${field}`, { ...obj, [field]: 'h'.repeat(rnd.pick([10_000, 300_000, 2_000_000])) });
      case 5:
        return raw(`${field} nested deep`, `{"${field}":${nested(rnd.pick([5_000, 10_000]), rnd.pick(['array', 'object'] as const))}}`);
      case 6:
        return raw(`${field} nested 40 deep`, `{"${field}":${nested(40, rnd.pick(['array', 'object'] as const))}}`);
      case 7: {
        const bytes = Buffer.concat([
          Buffer.from(`{"${field}":"ab`),
          Buffer.from(rnd.pick([[0xff, 0xfe], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80]])),
          Buffer.from('cd"}'),
        ]);
        return raw(`invalid UTF-8 in ${field}`, bytes);
      }
      case 8:
        return json(`NUL in ${field}`, { ...obj, [field]: `nul\u0000byte${'\u0000'.repeat(rnd.int(3))}` });
      case 9:
        return raw(
          'not a JSON object',
          rnd.pick([
            '',
            'not json{',
            'null',
            '[]',
            '"text"',
            '123',
            'true',
            '{"a":1,}',
            '{"a":1}{"b":2}',
            '\u0000',
            '{"__proto__":{"admin":true}}',
            '{"constructor":{"prototype":{"x":1}}}',
          ]),
        );
      case 10:
        return raw(
          'JSON under another content type',
          JSON.stringify(obj),
          rnd.pick([
            'text/plain',
            'application/x-www-form-urlencoded',
            'application/xml',
            'multipart/form-data; boundary=zz',
            'application/json; charset=latin1',
            'application/json; charset=utf-16',
            '',
            'application/vnd.api+json',
          ]),
        );
      case 11:
        return raw('url-encoded hostile body', `${field}=1&${field}=2&__proto__[admin]=true&constructor[prototype][x]=1`, 'application/x-www-form-urlencoded');
      case 12:
        return json(`unicode in ${field}`, {
          ...obj,
          [field]: rnd.pick(['\ud800\udc00\ud800', '\ufeff\u200b\u202e', 'ẞ'.repeat(1000), 'ｆｕｌｌｗｉｄｔｈ', '\u0085\u2028\u2029']),
        });
      default:
        return json(`many fields`, Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`f${i}`, i])));
    }
  }

  function multipartBody(rnd: ReturnType<typeof prng>): { label: string; body: Buffer; contentType: string } {
    const b = `fz${rnd.int(1e9)}`;
    const part = (name: string, filename: string | null, type: string, content: string | Buffer) =>
      Buffer.concat([
        Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="${name}"${filename === null ? '' : `; filename="${filename}"`}\r\nContent-Type: ${type}\r\n\r\n`),
        Buffer.isBuffer(content) ? content : Buffer.from(content),
        Buffer.from('\r\n'),
      ]);
    const close = Buffer.from(`--${b}--\r\n`);
    const mp = `multipart/form-data; boundary=${b}`;
    const text = `A small fuzz document ${rnd.int(1e6)} about envelopes.`;
    const variants: Array<() => { label: string; body: Buffer; contentType: string }> = [
      () => ({ label: 'well-formed txt', body: Buffer.concat([part('file', 'ok.txt', 'text/plain', text), close]), contentType: mp }),
      () => ({ label: 'no boundary', body: Buffer.concat([part('file', 'a.txt', 'text/plain', text), close]), contentType: 'multipart/form-data' }),
      () => ({ label: 'wrong boundary', body: Buffer.concat([part('file', 'a.txt', 'text/plain', text), close]), contentType: 'multipart/form-data; boundary=other' }),
      () => ({ label: 'unterminated', body: part('file', 'a.txt', 'text/plain', text), contentType: mp }),
      () => ({ label: 'cut mid-header', body: Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="fi`), contentType: mp }),
      () => ({ label: 'garbage', body: Buffer.from(Array.from({ length: 2048 }, () => rnd.int(256))), contentType: mp }),
      () => ({ label: 'two files', body: Buffer.concat([part('file', 'a.txt', 'text/plain', text), part('file', 'b.txt', 'text/plain', text), close]), contentType: mp }),
      () => ({ label: 'file in another field', body: Buffer.concat([part('document', 'a.txt', 'text/plain', text), close]), contentType: mp }),
      () => ({ label: 'field without filename', body: Buffer.concat([part('file', null, 'text/plain', text), close]), contentType: mp }),
      () => ({ label: 'traversal filename', body: Buffer.concat([part('file', '../../../../etc/passwd.txt', 'text/plain', text), close]), contentType: mp }),
      () => ({ label: 'NUL in filename', body: Buffer.concat([part('file', 'a\u0000.txt', 'text/plain', text), close]), contentType: mp }),
      () => ({ label: 'huge filename', body: Buffer.concat([part('file', `${'n'.repeat(5000)}.txt`, 'text/plain', text), close]), contentType: mp }),
      () => ({ label: 'empty file', body: Buffer.concat([part('file', 'empty.txt', 'text/plain', ''), close]), contentType: mp }),
      () => ({
        label: 'invalid UTF-8 txt',
        body: Buffer.concat([part('file', 'bad.txt', 'text/plain', Buffer.from([0x61, 0xff, 0xfe, 0xc3, 0x28, 0x62])), close]),
        contentType: mp,
      }),
      () => ({ label: 'NUL bytes in txt', body: Buffer.concat([part('file', 'nul.txt', 'text/plain', Buffer.from('abc\u0000def')), close]), contentType: mp }),
      () => ({
        label: 'garbage pdf',
        body: Buffer.concat([
          part('file', 'x.pdf', 'application/pdf', Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF garbage')),
          close,
        ]),
        contentType: mp,
      }),
      () => ({
        label: 'docx that is not a zip',
        body: Buffer.concat([part('file', 'x.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'PK\u0003\u0004 not really'), close]),
        contentType: mp,
      }),
      () => ({
        label: 'unsupported type',
        body: Buffer.concat([part('file', 'x.exe', 'application/x-msdownload', Buffer.from([0x4d, 0x5a, 0, 0, 1, 2])), close]),
        contentType: mp,
      }),
      () => ({ label: 'broken json file', body: Buffer.concat([part('file', 'x.json', 'application/json', '{"a": [1, 2,'), close]), contentType: mp }),
      () => ({ label: 'csv with odd quoting', body: Buffer.concat([part('file', 'x.csv', 'text/csv', 'a,"b\n"c,""d"""\n\u0000,'), close]), contentType: mp }),
      () => ({ label: 'html with unclosed tags', body: Buffer.concat([part('file', 'x.html', 'text/html', '<a'.repeat(2000) + '<script '.repeat(500)), close]), contentType: mp }),
      () => ({ label: 'json content type', body: Buffer.from('{"file":"x"}'), contentType: 'application/json' }),
      () => ({ label: 'text/plain body', body: Buffer.from(text), contentType: 'text/plain' }),
    ];
    return rnd.pick(variants)();
  }

  function buildCase(rnd: ReturnType<typeof prng>, op: Operation): Case {
    const as = rnd.pick(['A', 'A', 'A', 'A', 'A', 'A', 'none', 'none', 'B', 'B', 'admin'] as const);
    let path = op.template.replace(/\{(\w+)\}/g, (_m, name: string) => pathValue(rnd, name, op.method)) + queryString(rnd, op);
    const headers: Record<string, string> = {};
    if (as === 'A') headers['x-api-key'] = A.key.key!;
    if (as === 'B') headers['x-api-key'] = B.key.key!;
    if (as === 'admin') headers.authorization = `Bearer ${t.admin.token}`;
    if (rnd.chance(0.05)) headers['x-request-id'] = rnd.pick(['', 'bad id with spaces', 'x'.repeat(300), '../..', 'ok-id-123']);
    let label = `${op.method} ${op.template} as ${as}`;
    let body: Buffer | undefined;
    if (['POST', 'PUT', 'PATCH'].includes(op.method)) {
      const b = op.multipart ? multipartBody(rnd) : jsonBody(rnd, op);
      label += ` — ${b.label}`;
      body = b.body;
      if (b.contentType) headers['content-type'] = b.contentType;
    } else if (rnd.chance(0.1)) {
      body = Buffer.from('{"unexpected":"body"}');
      headers['content-type'] = 'application/json';
      label += ' — body on a bodiless method';
    }
    if (rnd.chance(0.02)) path = path.replace('/api/v1/', '/api/v1//');
    // Login failures count against the client IP: spread them over loopback addresses.
    const localAddress = op.template === '/api/v1/auth/login' ? `127.0.0.${2 + rnd.int(250)}` : undefined;
    return { label, as, sent: { method: op.method, path, headers, body, localAddress } };
  }

  /** What is wrong with one answer, or null. */
  function problemOf(c: Case, a: Answer): string | null {
    const id = a.headers['x-request-id'];
    if (a.status >= 500) return `${a.status} ${a.text.slice(0, 300)}`;
    if (!id) return `${a.status} without X-Request-Id`;
    if (/\n\s+at \S|node_modules|\.ts:\d+|\.js:\d+/.test(a.text)) return `${a.status} body looks like a stack trace: ${a.text.slice(0, 300)}`;
    if (
      /\b(SELECT|INSERT INTO|UPDATE|DELETE FROM)\b[\s\S]{0,200}\b(FROM|WHERE|VALUES|SET)\b|syntax error at or near|violates (unique|foreign key|check) constraint|duplicate key value|relation "|\$[0-9]+::/i.test(
        a.text,
      )
    ) {
      return `${a.status} body carries SQL: ${a.text.slice(0, 300)}`;
    }
    if (a.status < 200 || a.status >= 300) {
      let body: any;
      try {
        body = JSON.parse(a.text);
      } catch {
        return `${a.status} not JSON: ${a.text.slice(0, 200)}`;
      }
      const e = body?.error;
      if (
        body?.status !== 'error' ||
        typeof e?.code !== 'string' ||
        !/^[A-Z_]+$/.test(e.code) ||
        typeof e?.message !== 'string' ||
        e.message.length < 5 ||
        typeof e?.request_id !== 'string'
      ) {
        return `${a.status} outside the envelope: ${a.text.slice(0, 200)}`;
      }
      if (e.request_id !== id) return `${a.status} request_id ${e.request_id} ≠ X-Request-Id ${id}`;
    }
    if (c.as !== 'admin') {
      const foreign = c.as === 'A' ? secretsOf(B) : c.as === 'B' ? secretsOf(A) : [...secretsOf(A), ...secretsOf(B)];
      const leaked = foreign.filter((s) => a.text.includes(s) && !knownTo(c.as as Caller).has(s));
      if (leaked.length) return `${a.status} shows another tenant's ${leaked.join(', ')}`;
    }
    return null;
  }

  /**
   * Foreign values a caller has itself put in a request (a path id, a body field) may come back to it — in its
   * audit log, in an error that names its input — without that being a leak. So may what an anonymous caller or
   * the admin sent (the caller could have been that anonymous client; the admin is trusted). Names, usernames,
   * document text and key secrets of the other tenant are never sent, so they are checked on every answer.
   */
  type Caller = 'A' | 'B' | 'none' | 'admin';
  const sentBy: Record<Caller, Set<string>> = { A: new Set(), B: new Set(), none: new Set(), admin: new Set() };
  const knownTo = (who: Caller) => new Set([...sentBy[who], ...sentBy.none, ...sentBy.admin]);
  function remember(c: Case): void {
    const sentText = `${decodeURIComponentSafe(c.sent.path)} ${c.sent.body?.toString('utf8') ?? ''}`;
    for (const s of [...secretsOf(A), ...secretsOf(B)]) if (sentText.includes(s)) sentBy[c.as].add(s);
  }

  function decodeURIComponentSafe(s: string): string {
    try {
      return s + ' ' + decodeURIComponent(s);
    } catch {
      return s;
    }
  }

  async function restore(x: Tenant): Promise<void> {
    const limits = {
      max_documents: 1_000_000,
      max_storage_gb: 1000,
      max_kb: 1000,
      queries_per_minute: 1_000_000,
      documents_per_hour: 1_000_000,
      monthly_token_limit: 1e12,
      monthly_cost_limit_usd: 1e9,
    };
    const r = await t.http.patch(`/api/v1/tenants/${x.tenantId}`, { is_active: true, tier: 'standard', limits }, t.admin);
    if (r.status !== 200) throw new Error(`could not re-activate a tenant: ${r.status} ${r.text}`);
  }

  it('sends hostile variants to every operation: 0 × 5xx, every error in the envelope, no stack, SQL or foreign data', async () => {
    expect(ops.length).toBeGreaterThan(30);
    const rnd = prng(SEED);
    const problems: string[] = [];
    const statusCount = new Map<number, number>();
    const started = Date.now();
    let sent = 0;
    const run = async (c: Case) => {
      sent++;
      remember(c);
      try {
        const a = await send(t.url, c.sent);
        statusCount.set(a.status, (statusCount.get(a.status) ?? 0) + 1);
        const p = problemOf(c, a);
        if (p) problems.push(`[#${sent}] ${c.label} (${c.sent.method} ${c.sent.path.slice(0, 160)}): ${p}`);
        // A PATCH may have suspended a tenant or cut its limits (valid admin bodies): undo it, so the rest still reaches its routes.
        for (const x of [A, B]) if (a.status === 200 && c.sent.method === 'PATCH' && c.sent.path.toLowerCase().startsWith(`/api/v1/tenants/${x.tenantId}`)) await restore(x);
      } catch (err) {
        problems.push(`[#${sent}] ${c.label} (${c.sent.method} ${c.sent.path.slice(0, 160)}): ${(err as Error).message}`);
      }
    };
    // Round-robin over the operations so each gets its share of the budget; the cases within come from the seed.
    const order = [...ops];
    while (sent < MAX_REQUESTS && Date.now() - started < TIME_BUDGET_MS) {
      for (const op of order) {
        if (sent >= MAX_REQUESTS || Date.now() - started >= TIME_BUDGET_MS) break;
        await run(buildCase(rnd, op));
      }
    }
    const summary = [...statusCount.entries()]
      .sort((x, y) => x[0] - y[0])
      .map(([s, n]) => `${s}×${n}`)
      .join(' ');
    process.stdout.write(`fuzz-openapi: seed ${SEED}: ${sent} requests in ${Date.now() - started} ms over ${ops.length} operations; statuses ${summary}\n`);
    expect(sent).toBeGreaterThanOrEqual(Math.min(MAX_REQUESTS, ops.length));
    expect({ seed: SEED, problems: problems.slice(0, 40), more: Math.max(0, problems.length - 40) }).toEqual({ seed: SEED, problems: [], more: 0 });
    // The fuzz did not lock tenant A out or break the server: an ordinary call still works.
    expect((await t.http.get(`/api/v1/tenants/${A.tenantId}/knowledge-bases`, A.key)).status).toBe(200);
  }, 120_000);

  const upload = (name: string, type: string, content: Buffer) => {
    const form = new FormData();
    form.append('file', new Blob([content], { type }), name);
    return t.http.request('POST', `/api/v1/tenants/${A.tenantId}/knowledge-bases/${A.kbIds[0]}/documents/add`, { raw: form, as: A.key });
  };

  // The extracted-size cap (MAX_EXTRACTED_MB) is checked against the zip's declared sizes before inflating and while inflating.
  it.each([
    ['declares its 200 MB honestly', false],
    ['declares 4 KB for its 200 MB entry', true],
  ])(
    'a .docx decompression bomb that %s is refused with a 4xx envelope',
    async (_label, lie) => {
      const bomb = await docxBomb(200, lie ? 4 / 1024 : undefined);
      expect(bomb.length).toBeLessThan(2 * 1024 * 1024);
      const r = await upload('bomb.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', bomb);
      expect({ refused: [400, 413, 415].includes(r.status), status: r.status, text: r.text.slice(0, 300) }).toEqual({
        refused: true,
        status: r.status,
        text: r.text.slice(0, 300),
      });
      expect(r.body).toMatchObject({ status: 'error', error: { code: expect.any(String), message: expect.any(String), request_id: r.headers.get('x-request-id') } });
    },
    120_000,
  );

  it('a .json upload nested 5 000 deep is answered below 500 (4xx in the envelope, or accepted)', async () => {
    const r = await upload('deep.json', 'application/json', Buffer.from(`{"root":${nested(5_000, 'object')}}`));
    expect({ answered: [202, 400, 413, 415].includes(r.status), status: r.status, text: r.text.slice(0, 300) }).toEqual({
      answered: true,
      status: r.status,
      text: r.text.slice(0, 300),
    });
    if (r.status !== 202)
      expect(r.body).toMatchObject({ status: 'error', error: { code: expect.any(String), message: expect.any(String), request_id: r.headers.get('x-request-id') } });
    const arrays = await upload('deep-arrays.json', 'application/json', Buffer.from(nested(5_000, 'array')));
    expect({ answered: [202, 400, 413, 415].includes(arrays.status), status: arrays.status, text: arrays.text.slice(0, 300) }).toEqual({
      answered: true,
      status: arrays.status,
      text: arrays.text.slice(0, 300),
    });
    if (arrays.status !== 202) expect(arrays.body).toMatchObject({ status: 'error', error: { code: expect.any(String), request_id: arrays.headers.get('x-request-id') } });
  }, 60_000);
});
