import { randomUUID } from 'node:crypto';
import { minimalDocx, minimalPdf } from '../../src/documents/parsers/testing/fixtures';
import type { Credentials } from '../support/http';
import { kbPath, waitForProcessed } from '../support/rag';
import { seedTenant, startTestApp, TestApp } from '../support/test-app';

/** Every supported file type through the real multipart route, indexed and found by a query. */
describe('document upload (POST …/documents/add)', () => {
  let t: TestApp;
  let A: { tenantId: string; kbIds: string[]; key: Credentials };

  const upload = (name: string, data: Buffer | string, type = 'application/octet-stream', field = 'file') => {
    const form = new FormData();
    form.append(field, new Blob([typeof data === 'string' ? Buffer.from(data) : data], { type }), name);
    return t.http.request('POST', `${kbPath(A.tenantId, A.kbIds[0])}/documents/add`, { raw: form, as: A.key });
  };

  beforeAll(async () => {
    t = await startTestApp({ env: { MAX_UPLOAD_MB: '1' } });
    A = await seedTenant(t, `Uploader ${randomUUID().slice(0, 6)}`);
  });
  afterAll(() => t?.close());

  const word = (kind: string) => `${kind}marker${randomUUID().replace(/\D/g, '').slice(0, 8)}`;

  const cases: Array<[string, (w: string) => Promise<Buffer | string> | Buffer | string, string]> = [
    ['notes.txt', (w) => `Plain text about the harbour. The keyword is ${w}.`, 'text/plain'],
    ['readme.md', (w) => `# Title\n\nMarkdown paragraph mentioning **${w}** and the lighthouse.`, 'text/markdown'],
    [
      'page.html',
      (w) => `<html><head><title>T</title><script>var hidden = 1;</script></head><body><h1>Heading</h1><p>HTML paragraph with ${w} inside.</p></body></html>`,
      'text/html',
    ],
    ['table.csv', (w) => `city,keyword\nLisbon,${w}\nPorto,other`, 'text/csv'],
    ['data.json', (w) => JSON.stringify({ city: 'Lisbon', note: `JSON value ${w}` }), 'application/json'],
    ['report.pdf', (w) => minimalPdf([`PDF line one mentions ${w}.`, 'PDF line two about the harbour.']), 'application/pdf'],
    ['letter.docx', (w) => minimalDocx([`DOCX paragraph with ${w}.`, 'A second paragraph.']), 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
  ];

  it.each(cases)('%s is accepted (202), processed, and its text is retrievable with its file name as file_path', async (name, build, type) => {
    const marker = word(name.split('.')[1]);
    const r = await upload(name, await build(marker), type);
    expect(r.status).toBe(202);
    expect(r.body.data).toEqual({ document_id: expect.any(String), status: 'pending', track_id: expect.any(String) });
    const doc = await waitForProcessed(t.http, A.tenantId, A.kbIds[0], r.body.data.document_id, A.key);
    expect(doc.file_path).toBe(name);
    expect(doc.chunks_count).toBeGreaterThanOrEqual(1);
    const q = await t.http.post(`${kbPath(A.tenantId, A.kbIds[0])}/query`, { query: marker, mode: 'naive', only_need_context: true }, A.key);
    expect(q.status).toBe(200);
    expect(q.body.data.context.chunks[0].content).toContain(marker);
    expect(q.body.data.references[0]).toMatchObject({ document_id: r.body.data.document_id, file_path: name });
    if (name.endsWith('.html')) expect(q.body.data.context.chunks[0].content).not.toContain('hidden');
  });

  it('the same file uploaded twice is a 409 naming the first document', async () => {
    const body = `Twice uploaded ${word('dup')}`;
    const first = await upload('twice.txt', body, 'text/plain');
    expect(first.status).toBe(202);
    const second = await upload('twice-again.txt', body, 'text/plain');
    expect(second.status).toBe(409);
    expect(second.body.error.message).toContain(first.body.data.document_id);
  });

  it('an unknown type is 415 UNSUPPORTED_MEDIA_TYPE and stores nothing', async () => {
    const before = (await t.http.get(`${kbPath(A.tenantId, A.kbIds[0])}/documents`, A.key)).body.meta.total;
    const r = await upload('program.exe', Buffer.from([0x4d, 0x5a, 0x90, 0x00, 0x03]), 'application/x-msdownload');
    expect(r.status).toBe(415);
    expect(r.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const png = await upload('image.png', Buffer.from([0x89, 0x50, 0x4e, 0x47]), 'image/png');
    expect(png.status).toBe(415);
    expect((await t.http.get(`${kbPath(A.tenantId, A.kbIds[0])}/documents`, A.key)).body.meta.total).toBe(before);
  });

  it('a file over MAX_UPLOAD_MB is 413 PAYLOAD_TOO_LARGE', async () => {
    const r = await upload('huge.txt', 'a'.repeat(1024 * 1024 + 10), 'text/plain');
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('a corrupt PDF is 400, a multipart body without `file` is 400, an empty file is 400', async () => {
    const corrupt = await upload('broken.pdf', Buffer.from('%PDF-1.4 garbage with no objects'), 'application/pdf');
    expect(corrupt.status).toBe(400);
    const wrongField = await upload('notes.txt', 'hello', 'text/plain', 'attachment');
    expect(wrongField.status).toBe(400);
    const empty = await upload('empty.txt', '   \n', 'text/plain');
    expect(empty.status).toBe(400);
  });
});
