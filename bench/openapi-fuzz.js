'use strict';
/**
 * The hostile-request generator of test/e2e/fuzz-openapi.e2e-spec.ts, for the
 * load bench (bench/load-canaries.js): every operation of /docs-json, called
 * with hostile path ids, query strings and bodies (wrong types, missing and
 * extra fields, huge strings, deep nesting, invalid UTF-8, NUL bytes, path
 * traversal, malformed multipart), as fuzz tenant A (mostly), B, nobody or
 * the admin. The spec keeps its builder inside its describe block (it closes
 * over the booted app), so the same cases are built here from the same
 * rules; `problemOf` applies the spec's checks to each answer.
 */
const { randomUUID } = require('node:crypto');
const { request: httpRequest } = require('node:http');

/** mulberry32: small, seeded, good enough to pick cases reproducibly. */
function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n), pick: (xs) => xs[Math.floor(next() * xs.length)], chance: (p) => next() < p };
}

/** node:http, not fetch: paths, headers and bytes go out exactly as written. */
function send(baseUrl, req, timeoutMs = 60_000) {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers };
    if (req.body) headers['content-length'] = String(req.body.length);
    const r = httpRequest({ host: hostname, port: Number(port), method: req.method, path: req.path, headers, localAddress: req.localAddress, agent: false }, (res) => {
      const chunks = [];
      let size = 0;
      res.on('data', (d) => {
        size += d.length;
        if (size <= 4 * 1024 * 1024) chunks.push(d);
        else res.destroy();
      });
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
      };
      res.on('end', finish);
      res.on('close', finish);
    });
    r.setTimeout(timeoutMs, () => r.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    r.on('error', reject);
    r.end(req.body);
  });
}

function operationsOf(doc) {
  const ops = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const params = op.parameters ?? [];
      const content = op.requestBody?.content ?? {};
      ops.push({
        method: method.toUpperCase(),
        template,
        queryParams: params.filter((p) => p.in === 'query').map((p) => p.name),
        bodySchema: content['application/json']?.schema ?? content['multipart/form-data']?.schema ?? null,
        multipart: !!content['multipart/form-data'],
      });
    }
  }
  return ops;
}

const HOSTILE_SCALARS = [
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
const HOSTILE_SHAPES = [[], {}, [null], [[[]]], { $gt: '' }, { __proto__: { admin: true } }, { constructor: { prototype: { admin: true } } }, ['*'], [1, 'two', null]];

const nested = (depth, kind) => (kind === 'array' ? '['.repeat(depth) + '1' + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth));

/**
 * @param doc the /docs-json document
 * @param A, B the fuzz tenants: { tenantId, kbId, key, extraKeyId, userId, documentId, secrets: string[] }
 * @param adminToken the admin's JWT
 */
function fuzzer(doc, A, B, adminToken, seed) {
  const ops = operationsOf(doc);
  const schemas = doc.components?.schemas ?? {};
  const rnd = prng(seed);
  const resolve = (s) => {
    let cur = s ?? {};
    for (let i = 0; cur.$ref && i < 10; i++) cur = schemas[cur.$ref.split('/').pop()] ?? {};
    if (cur.allOf?.length) cur = Object.assign({}, ...cur.allOf.map(resolve));
    return cur;
  };
  function plausible(s0, field = '') {
    const s = resolve(s0);
    if (s.example !== undefined && rnd.chance(0.7)) return s.example;
    if (s.enum?.length) return rnd.pick(s.enum);
    switch (s.type) {
      case 'object': {
        const out = {};
        for (const [k, v] of Object.entries(s.properties ?? {})) if ((s.required ?? []).includes(k) || rnd.chance(0.5)) out[k] = plausible(v, k);
        return out;
      }
      case 'array':
        return rnd.chance(0.2) ? [] : [plausible(s.items, field)];
      case 'integer':
      case 'number':
        return s.minimum ?? 1;
      case 'boolean':
        return rnd.chance(0.5);
      default:
        if (/password/.test(field)) return 'fuzz-password-2';
        if (/username/.test(field)) return `fz-${rnd.int(1e9)}`;
        if (/_ids?$|Id$/.test(field)) return rnd.pick([A.kbId, B.kbId, randomUUID(), '*']);
        return `fuzz ${field} ${rnd.int(1e6)}`;
    }
  }
  function pathValue(name, method) {
    const own = { tenantId: A.tenantId, kbId: A.kbId, keyId: A.extraKeyId, userId: A.userId, documentId: A.documentId };
    const other = { tenantId: B.tenantId, kbId: B.kbId, keyId: B.extraKeyId, userId: B.userId, documentId: B.documentId };
    const odd = [
      randomUUID(),
      '00000000-0000-0000-0000-000000000000',
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
    // As in the spec: A's real ids never for a DELETE (it would end the fuzz early), nor B's tenant.
    if (roll < 0.45 && own[name] && method !== 'DELETE') return own[name];
    if (roll < 0.6 && other[name] && !(method === 'DELETE' && name === 'tenantId')) return other[name];
    return rnd.pick(odd);
  }
  function queryString(op) {
    if (!rnd.chance(0.6)) return '';
    const values = ['-1', '0', '1', '201', 'abc', '1e400', '', 'null', 'true', '%00', '%ff', 'x'.repeat(3000), '2024-13-45', '..%2F..', '[]', '%5B%5D', "'%3B--"];
    const parts = [];
    for (const q of op.queryParams) if (rnd.chance(0.6)) parts.push(`${q}=${rnd.pick(values)}`);
    if (op.queryParams.length && rnd.chance(0.2)) parts.push(`${op.queryParams[0]}=1&${op.queryParams[0]}=2`);
    if (rnd.chance(0.2)) parts.push(`unknown_param=${rnd.pick(values)}`);
    if (rnd.chance(0.05)) parts.push('__proto__[admin]=true');
    return parts.length ? `?${parts.join('&')}` : '';
  }
  function jsonBody(op) {
    const base = op.bodySchema ? plausible(op.bodySchema) : {};
    const obj = base && typeof base === 'object' && !Array.isArray(base) ? { ...base } : {};
    const fields = Object.keys(resolve(op.bodySchema ?? {}).properties ?? {});
    const field = fields.length ? rnd.pick(fields) : 'anything';
    const json = (label, v) => ({ label, body: Buffer.from(JSON.stringify(v)), contentType: 'application/json' });
    const raw = (label, s, contentType = 'application/json') => ({ label, body: Buffer.isBuffer(s) ? s : Buffer.from(s), contentType });
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
        return raw(`${field} nested deep`, `{"${field}":${nested(rnd.pick([5_000, 10_000]), rnd.pick(['array', 'object']))}}`);
      case 6:
        return raw(`${field} nested 40 deep`, `{"${field}":${nested(40, rnd.pick(['array', 'object']))}}`);
      case 7:
        return raw(
          `invalid UTF-8 in ${field}`,
          Buffer.concat([
            Buffer.from(`{"${field}":"ab`),
            Buffer.from(rnd.pick([[0xff, 0xfe], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80]])),
            Buffer.from('cd"}'),
          ]),
        );
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
        return json('many fields', Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`f${i}`, i])));
    }
  }
  function multipartBody() {
    const b = `fz${rnd.int(1e9)}`;
    const part = (name, filename, type, content) =>
      Buffer.concat([
        Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="${name}"${filename === null ? '' : `; filename="${filename}"`}\r\nContent-Type: ${type}\r\n\r\n`),
        Buffer.isBuffer(content) ? content : Buffer.from(content),
        Buffer.from('\r\n'),
      ]);
    const close = Buffer.from(`--${b}--\r\n`);
    const mp = `multipart/form-data; boundary=${b}`;
    const text = `A small fuzz document ${rnd.int(1e6)} about envelopes.`;
    const file = (label, name, type, content) => ({ label, body: Buffer.concat([part('file', name, type, content), close]), contentType: mp });
    const variants = [
      () => file('well-formed txt', 'ok.txt', 'text/plain', text),
      () => ({ label: 'no boundary', body: Buffer.concat([part('file', 'a.txt', 'text/plain', text), close]), contentType: 'multipart/form-data' }),
      () => ({ label: 'wrong boundary', body: Buffer.concat([part('file', 'a.txt', 'text/plain', text), close]), contentType: 'multipart/form-data; boundary=other' }),
      () => ({ label: 'unterminated', body: part('file', 'a.txt', 'text/plain', text), contentType: mp }),
      () => ({ label: 'cut mid-header', body: Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="fi`), contentType: mp }),
      () => ({ label: 'garbage', body: Buffer.from(Array.from({ length: 2048 }, () => rnd.int(256))), contentType: mp }),
      () => ({ label: 'two files', body: Buffer.concat([part('file', 'a.txt', 'text/plain', text), part('file', 'b.txt', 'text/plain', text), close]), contentType: mp }),
      () => ({ label: 'file in another field', body: Buffer.concat([part('document', 'a.txt', 'text/plain', text), close]), contentType: mp }),
      () => ({ label: 'field without filename', body: Buffer.concat([part('file', null, 'text/plain', text), close]), contentType: mp }),
      () => file('traversal filename', '../../../../etc/passwd.txt', 'text/plain', text),
      () => file('NUL in filename', 'a\u0000.txt', 'text/plain', text),
      () => file('huge filename', `${'n'.repeat(5000)}.txt`, 'text/plain', text),
      () => file('empty file', 'empty.txt', 'text/plain', ''),
      () => file('invalid UTF-8 txt', 'bad.txt', 'text/plain', Buffer.from([0x61, 0xff, 0xfe, 0xc3, 0x28, 0x62])),
      () => file('NUL bytes in txt', 'nul.txt', 'text/plain', Buffer.from('abc\u0000def')),
      () => file('garbage pdf', 'x.pdf', 'application/pdf', Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF garbage')),
      () => file('docx that is not a zip', 'x.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'PK\u0003\u0004 not really'),
      () => file('unsupported type', 'x.exe', 'application/x-msdownload', Buffer.from([0x4d, 0x5a, 0, 0, 1, 2])),
      () => file('broken json file', 'x.json', 'application/json', '{"a": [1, 2,'),
      () => file('csv with odd quoting', 'x.csv', 'text/csv', 'a,"b\n"c,""d"""\n\u0000,'),
      () => file('html with unclosed tags', 'x.html', 'text/html', '<a'.repeat(2000) + '<script '.repeat(500)),
      () => ({ label: 'json content type', body: Buffer.from('{"file":"x"}'), contentType: 'application/json' }),
      () => ({ label: 'text/plain body', body: Buffer.from(text), contentType: 'text/plain' }),
    ];
    return rnd.pick(variants)();
  }

  let next = 0;
  /** The next case, round-robin over the operations (each gets its share of the budget). */
  function nextCase() {
    const op = ops[next++ % ops.length];
    const as = rnd.pick(['A', 'A', 'A', 'A', 'A', 'A', 'none', 'none', 'B', 'B', 'admin']);
    let path = op.template.replace(/\{(\w+)\}/g, (_m, name) => pathValue(name, op.method)) + queryString(op);
    const headers = {};
    if (as === 'A') headers['x-api-key'] = A.key;
    if (as === 'B') headers['x-api-key'] = B.key;
    if (as === 'admin') headers.authorization = `Bearer ${adminToken}`;
    if (rnd.chance(0.05)) headers['x-request-id'] = rnd.pick(['', 'bad id with spaces', 'x'.repeat(300), '../..', 'ok-id-123']);
    let label = `${op.method} ${op.template} as ${as}`;
    let body;
    if (['POST', 'PUT', 'PATCH'].includes(op.method)) {
      const b = op.multipart ? multipartBody() : jsonBody(op);
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
    const localAddress = op.template === '/api/v1/auth/login' ? `127.88.1.${2 + rnd.int(250)}` : undefined;
    return { label, as, template: op.template, sent: { method: op.method, path, headers, body, localAddress } };
  }

  // Foreign values a caller put in its own request may come back to it (the spec's rule); the admin and anonymous callers' too.
  const sentBy = { A: new Set(), B: new Set(), none: new Set(), admin: new Set() };
  const decodeSafe = (s) => {
    try {
      return s + ' ' + decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  function remember(c) {
    const sentText = `${decodeSafe(c.sent.path)} ${c.sent.body?.toString('utf8') ?? ''}`;
    for (const s of [...A.secrets, ...B.secrets]) if (sentText.includes(s)) sentBy[c.as].add(s);
  }

  /** What is wrong with one answer (the spec's checks), or null. */
  function problemOf(c, a) {
    const id = a.headers['x-request-id'];
    if (a.status >= 500) return `${a.status} ${a.text.slice(0, 300)}`;
    if (!id) return `${a.status} without X-Request-Id`;
    if (/\n\s+at \S|node_modules|\.ts:\d+|\.js:\d+/.test(a.text)) return `${a.status} body looks like a stack trace: ${a.text.slice(0, 300)}`;
    if (
      /\b(SELECT|INSERT INTO|UPDATE|DELETE FROM)\b[\s\S]{0,200}\b(FROM|WHERE|VALUES|SET)\b|syntax error at or near|violates (unique|foreign key|check) constraint|duplicate key value|relation "|\$[0-9]+::/i.test(
        a.text,
      )
    )
      return `${a.status} body carries SQL: ${a.text.slice(0, 300)}`;
    if (a.status < 200 || a.status >= 300) {
      let body;
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
      )
        return `${a.status} outside the envelope: ${a.text.slice(0, 200)}`;
      if (e.request_id !== id) return `${a.status} request_id ${e.request_id} ≠ X-Request-Id ${id}`;
    }
    if (c.as !== 'admin') {
      const known = new Set([...sentBy[c.as], ...sentBy.none, ...sentBy.admin]);
      const foreign = c.as === 'A' ? B.secrets : c.as === 'B' ? A.secrets : [...A.secrets, ...B.secrets];
      const leaked = foreign.filter((s) => a.text.includes(s) && !known.has(s));
      if (leaked.length) return `${a.status} shows another tenant's ${leaked.join(', ')}`;
    }
    return null;
  }

  return { operations: ops.length, nextCase, remember, problemOf };
}

module.exports = { fuzzer, send };
