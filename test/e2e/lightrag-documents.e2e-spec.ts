import { randomUUID } from 'node:crypto';
import type { ApiResponse } from '../support/http';
import { lr, LightragFixture, pollUntil, seedLightragFixture } from '../support/lightrag';
import { kbPath } from '../support/rag';
import { startTestApp, TestApp } from '../support/test-app';

const DOC_STATUS_KEYS = ['chunks_count', 'content_length', 'content_summary', 'created_at', 'error_msg', 'file_path', 'id', 'metadata', 'status', 'track_id', 'updated_at'];
const STATUSES = ['pending', 'processing', 'preprocessed', 'processed', 'failed'];

/** ADR 007 compatibility cases 5-10, 25, 26(c), 32: the LightRAG /documents routes, and hostile input to them. */
describe('LightRAG compat: document routes', () => {
  let t: TestApp;
  let f: LightragFixture;
  let T1: string;
  let trackId: string;
  let docId: string;

  const nativeDocs = async (kbId: string) => (await t.http.get(`${kbPath(f.A.tenantId, kbId)}/documents?limit=100`, f.kAll)).body.data as Array<Record<string, any>>;
  const upload = (name: string, data: string | Buffer, ws?: string) => {
    const form = new FormData();
    form.append('file', new Blob([typeof data === 'string' ? Buffer.from(data) : data]), name);
    return lr(t, 'POST', '/documents/upload', { as: f.kM, raw: form, ws });
  };
  const idle = (ws: string) =>
    pollUntil(
      () => lr(t, 'GET', '/documents/pipeline_status', { as: f.kAll, ws }),
      (r) => r.body.busy === false,
    );

  beforeAll(async () => {
    t = await startTestApp({ env: { MAX_UPLOAD_MB: '1' } });
    f = await seedLightragFixture(t);
    T1 = `The Strata harbour lighthouse ${randomUUID().slice(0, 8)} is painted red and white and guides ships past the northern reef.`;
  });
  afterAll(() => t?.close());

  it('#5 POST /documents/text with kM and no selector: 200 InsertResponse, track id insert_', async () => {
    const r = await lr(t, 'POST', '/documents/text', { as: f.kM, body: { text: T1, file_source: 'a.txt' } });
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(['message', 'status', 'track_id']);
    expect(r.body.status).toBe('success');
    expect(r.body.track_id).toMatch(/^insert_\d{8}_\d{6}_[0-9a-f]{8}$/);
    expect(r.headers.get('x-strata-kb-id')).toBe(f.A.manualsId);
    trackId = r.body.track_id;
  });

  it('#6 the same text again, or another text under the same file_source: 200 duplicated with the first track id, one document', async () => {
    const same = await lr(t, 'POST', '/documents/text', { as: f.kM, body: { text: T1, file_source: 'other.txt' } });
    expect(same.status).toBe(200);
    expect(same.body).toEqual({ status: 'duplicated', message: expect.stringMatching(/doc_id: [0-9a-f-]{36}, Status: \w+/), track_id: trackId });
    const byName = await lr(t, 'POST', '/documents/text', { as: f.kM, body: { text: `A different text ${randomUUID()}`, file_source: 'a.txt' } });
    expect(byName.status).toBe(200);
    expect(byName.body).toEqual({ status: 'duplicated', message: expect.stringContaining("File source 'a.txt'"), track_id: trackId });
    const docs = await nativeDocs(f.A.manualsId);
    expect(docs.filter((d) => d.file_path === 'a.txt' || d.file_path === 'other.txt')).toHaveLength(1);
  });

  it('#6 concurrent inserts of one content (with or without file_source), or of one file_source: exactly one success, the rest duplicated, one document each', async () => {
    const text = `Raced text ${randomUUID()}`;
    const same = await Promise.all(Array.from({ length: 6 }, (_, i) => lr(t, 'POST', '/documents/text', { as: f.kM, body: { text, file_source: `race-${i}.txt` } })));
    expect(same.map((r) => r.status)).toEqual(Array(6).fill(200));
    expect(same.filter((r) => r.body.status === 'success')).toHaveLength(1);
    const winner = same.find((r) => r.body.status === 'success')!.body.track_id;
    for (const r of same.filter((x) => x.body.status !== 'success')) expect(r.body).toEqual({ status: 'duplicated', message: expect.any(String), track_id: winner });
    const named = await Promise.all(
      Array.from({ length: 6 }, (_, i) => lr(t, 'POST', '/documents/text', { as: f.kM, body: { text: `Raced name ${i} ${randomUUID()}`, file_source: 'raced-name.txt' } })),
    );
    expect(named.map((r) => r.body.status).sort()).toEqual(['duplicated', 'duplicated', 'duplicated', 'duplicated', 'duplicated', 'success']);
    // no file_source: nothing to serialise by name, the unique content hash decides
    const anonymous = `Raced anonymous text ${randomUUID()}`;
    const anon = await Promise.all(Array.from({ length: 6 }, () => lr(t, 'POST', '/documents/text', { as: f.kM, body: { text: anonymous } })));
    expect(anon.map((r) => r.status)).toEqual(Array(6).fill(200));
    expect(anon.map((r) => r.body.status).sort()).toEqual(['duplicated', 'duplicated', 'duplicated', 'duplicated', 'duplicated', 'success']);
    const docs = await nativeDocs(f.A.manualsId);
    expect(docs.filter((d) => d.file_path === 'raced-name.txt')).toHaveLength(1);
    expect(docs.filter((d) => String(d.file_path).startsWith('race-'))).toHaveLength(1);
  });

  it('#8 track_status of #5 ends processed, in DocStatusResponse shape', async () => {
    const r = await pollUntil(
      () => lr(t, 'GET', `/documents/track_status/${trackId}`, { as: f.kM }),
      (x) => x.body.documents?.[0]?.status === 'processed',
    );
    expect(r.status).toBe(200);
    expect(r.body.track_id).toBe(trackId);
    expect(r.body.total_count).toBe(1);
    expect(r.body.status_summary).toEqual({ processed: 1 });
    const d = r.body.documents[0];
    expect(Object.keys(d).sort()).toEqual(DOC_STATUS_KEYS);
    expect(d).toMatchObject({
      content_summary: T1.slice(0, 100),
      content_length: T1.length,
      status: 'processed',
      track_id: trackId,
      error_msg: null,
      metadata: {},
      file_path: 'a.txt',
    });
    expect(d.chunks_count).toBeGreaterThanOrEqual(1);
    expect(new Date(d.created_at).toISOString()).toBe(d.created_at);
    expect(new Date(d.updated_at).toISOString()).toBe(d.updated_at);
    expect(STATUSES).toContain(d.status);
    docId = d.id;
    // unknown id → 200 with nothing; blank → 400; NUL or a long id → nothing, never a 500
    const unknown = await lr(t, 'GET', '/documents/track_status/insert_20260101_000000_deadbeef', { as: f.kM });
    expect(unknown.status).toBe(200);
    expect(unknown.body).toEqual({ track_id: 'insert_20260101_000000_deadbeef', documents: [], total_count: 0, status_summary: {} });
    const blank = await lr(t, 'GET', '/documents/track_status/%20%20', { as: f.kM });
    expect(blank.status).toBe(400);
    expect(blank.body).toEqual({ detail: 'Track ID cannot be empty' });
    // no segment at all matches no route (as in FastAPI)
    const none = await lr(t, 'GET', '/documents/track_status/', { as: f.kM });
    expect(none.status).toBe(404);
    expect(none.body).toEqual({ detail: 'Not Found' });
    const nul = await lr(t, 'GET', '/documents/track_status/a%00b', { as: f.kM });
    expect(nul.status).toBe(200);
    expect(nul.body.documents).toEqual([]);
    const long = await lr(t, 'GET', `/documents/track_status/${'x'.repeat(300)}`, { as: f.kM });
    expect(long.status).toBe(200);
    expect(long.body.total_count).toBe(0);
    // past Fastify's maxParamLength (500): 414 in LightRAG's error shape
    const tooLong = await lr(t, 'GET', `/documents/track_status/${'x'.repeat(600)}`, { as: f.kM });
    expect(tooLong.status).toBe(414);
    expect(typeof tooLong.body.detail).toBe('string');
  });

  it('#7 upload notes.md → success with upload_ track id; run.exe → 400 Unsupported file type; the same name again → duplicated; over MAX_UPLOAD_MB → 413', async () => {
    const ok = await upload('notes.md', `# Notes\n\nThe ferry timetable ${randomUUID()} changes in winter.`);
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('success');
    expect(ok.body.message).toContain('notes.md');
    expect(ok.body.track_id).toMatch(/^upload_/);
    const exe = await upload('run.exe', Buffer.from([0x4d, 0x5a, 0x90, 0x00, 0x03]));
    expect(exe.status).toBe(400);
    expect(exe.body.detail).toMatch(/^Unsupported file type\. Supported types: \(.*'\.md'.*\)$/);
    const again = await upload('notes.md', `Other notes ${randomUUID()}`);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ status: 'duplicated', message: expect.stringContaining("File 'notes.md'"), track_id: ok.body.track_id });
    const sameContent = await upload('copy.txt', T1);
    expect(sameContent.status).toBe(200);
    expect(sameContent.body).toEqual({ status: 'duplicated', message: expect.stringContaining('same content'), track_id: trackId });
    const big = await upload('big.txt', 'x'.repeat(1024 * 1024 + 10));
    expect(big.status).toBe(413);
    expect(big.body.detail).toMatch(/^File too large\./);
    const notMultipart = await lr(t, 'POST', '/documents/upload', { as: f.kM, body: { file: 'notes.md' } });
    expect(notMultipart.status).toBe(400);
    expect(typeof notMultipart.body.detail).toBe('string');
  });

  it('POST /documents/texts: success under one track id; a duplicate (in the KB or within the request) stores nothing', async () => {
    const tag = randomUUID().slice(0, 8);
    const ok = await lr(t, 'POST', '/documents/texts', {
      as: f.kM,
      body: { texts: [`First text ${tag}`, `Second text ${tag}`], file_sources: [`one-${tag}.txt`, `two-${tag}.txt`] },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ status: 'success', message: expect.stringContaining('Texts successfully received'), track_id: expect.stringMatching(/^insert_/) });
    const tracked = await lr(t, 'GET', `/documents/track_status/${ok.body.track_id}`, { as: f.kM });
    expect(tracked.body.total_count).toBe(2);
    const before = (await nativeDocs(f.A.manualsId)).length;
    const dupInKb = await lr(t, 'POST', '/documents/texts', { as: f.kM, body: { texts: [`Fresh ${randomUUID()}`, T1] } });
    expect(dupInKb.body).toEqual({ status: 'duplicated', message: expect.stringContaining('texts[1]'), track_id: trackId });
    const dupWithin = await lr(t, 'POST', '/documents/texts', { as: f.kM, body: { texts: [`Twice ${tag}`, `Twice ${tag}`] } });
    expect(dupWithin.body).toEqual({ status: 'duplicated', message: expect.stringContaining('texts[1] has the same content as texts[0]'), track_id: '' });
    expect((await nativeDocs(f.A.manualsId)).length).toBe(before);
    const mismatch = await lr(t, 'POST', '/documents/texts', { as: f.kM, body: { texts: ['a', 'b'], file_sources: ['x.txt'] } });
    expect(mismatch.status).toBe(422);
    expect(mismatch.body.detail[0].loc).toEqual(['body', 'file_sources']);
  });

  it('#9 paginated: LightRAG pagination and status_counts with all; page_size 5 → 422', async () => {
    const r = await lr(t, 'POST', '/documents/paginated', { as: f.kM, body: { page: 1, page_size: 10, sort_field: 'updated_at', sort_direction: 'desc' } });
    expect(r.status).toBe(200);
    const total = r.body.pagination.total_count;
    expect(r.body.pagination).toEqual({ page: 1, page_size: 10, total_count: total, total_pages: Math.ceil(total / 10), has_next: total > 10, has_prev: false });
    expect(r.body.status_counts.all).toBe(total);
    expect(Object.values(r.body.status_counts).reduce((a: number, b) => a + (b as number), 0)).toBe(2 * total);
    expect(r.body.documents.length).toBe(Math.min(total, 10));
    for (const d of r.body.documents) expect(Object.keys(d).sort()).toEqual(DOC_STATUS_KEYS);
    const times = r.body.documents.map((d: { updated_at: string }) => d.updated_at);
    expect([...times].sort().reverse()).toEqual(times);
    const byPath = await lr(t, 'POST', '/documents/paginated', { as: f.kM, body: { page_size: 10, sort_field: 'file_path', sort_direction: 'asc', status_filter: 'processed' } });
    const paths = byPath.body.documents.map((d: { file_path: string }) => d.file_path);
    expect(paths).toEqual([...paths].sort((a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(byPath.body.documents.every((d: { status: string }) => d.status === 'processed')).toBe(true);
    const beyond = await lr(t, 'POST', '/documents/paginated', { as: f.kM, body: { page: 1_000_000, page_size: 200 } });
    expect(beyond.status).toBe(200);
    expect(beyond.body.documents).toEqual([]);
    expect(beyond.body.pagination.has_prev).toBe(true);
    // the path-scoped form and a header selector reach the same KB; another tenant's key is refused
    const byPathForm = await t.http.request('POST', `/lightrag/w/${f.A.slug}__Manuals/documents/paginated`, { as: f.kAll, body: { page_size: 10 } });
    expect(byPathForm.status).toBe(200);
    expect(byPathForm.body.pagination.total_count).toBe(total);
    const byHeader = await lr(t, 'POST', '/documents/paginated', { as: f.kAll, ws: 'Manuals', body: { page_size: 10 } });
    expect(byHeader.body.pagination.total_count).toBe(total);
    const foreign = await lr(t, 'POST', '/documents/paginated', { as: f.kB, ws: `${f.A.slug}__Manuals`, body: { page_size: 10 } });
    expect(foreign.status).toBe(403);
    expect(foreign.text).not.toContain('a.txt');
    const small = await lr(t, 'POST', '/documents/paginated', { as: f.kM, body: { page: 1, page_size: 5 } });
    expect(small.status).toBe(422);
    expect(small.body.detail[0].loc).toEqual(['body', 'page_size']);
    expect(typeof small.body.detail[0].msg).toBe('string');
  });

  it('#10 pipeline_status, status_counts and the deprecated GET /documents', async () => {
    const p = await lr(t, 'GET', '/documents/pipeline_status', { as: f.kM });
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({ autoscanned: false, job_name: 'Default Job', request_pending: false });
    expect(typeof p.body.busy).toBe('boolean');
    for (const k of ['docs', 'batchs', 'cur_batch']) expect(Number.isInteger(p.body[k])).toBe(true);
    expect(typeof p.body.latest_message).toBe('string');
    expect(Array.isArray(p.body.history_messages)).toBe(true);
    expect(p.body.history_messages.some((m: string) => m.includes('a.txt') && m.includes('processed'))).toBe(true);
    const c = await lr(t, 'GET', '/documents/status_counts', { as: f.kM });
    expect(c.status).toBe(200);
    expect(Object.keys(c.body)).toEqual(['status_counts']);
    expect(c.body.status_counts.all).toBeGreaterThanOrEqual(1);
    const l = await lr(t, 'GET', '/documents', { as: f.kM });
    expect(l.status).toBe(200);
    expect(Object.keys(l.body)).toEqual(['statuses']);
    for (const [k, list] of Object.entries(l.body.statuses)) {
      expect(STATUSES).toContain(k);
      expect((list as unknown[]).length).toBeGreaterThan(0);
    }
    const listed = l.body.statuses.processed.find((d: { id: string }) => d.id === docId);
    expect(Object.keys(listed).sort()).toEqual(DOC_STATUS_KEYS);
  });

  it('#25 kAll without a selector writes to the KB named default (non-strict)', async () => {
    const text = `Only in the default KB ${randomUUID()}`;
    const r = await lr(t, 'POST', '/documents/text', { as: f.kAll, body: { text, file_source: 'default-only.txt' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-strata-kb-id')).toBe(f.A.defaultId);
    expect((await nativeDocs(f.A.defaultId)).map((d) => d.file_path)).toContain('default-only.txt');
    expect((await nativeDocs(f.A.manualsId)).map((d) => d.file_path)).not.toContain('default-only.txt');
  });

  it('#32 delete_document deletes the listed documents of this KB only; [] → 422', async () => {
    const otherKbDoc = (await nativeDocs(f.A.defaultId)).find((d) => d.file_path === 'default-only.txt')!.document_id;
    const r = await lr(t, 'DELETE', '/documents/delete_document', { as: f.kM, body: { doc_ids: [docId, otherKbDoc, 'doc-0123456789abcdef'] } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: 'deletion_started', message: expect.stringContaining('1 deleted'), doc_id: `${docId}, ${otherKbDoc}, doc-0123456789abcdef` });
    const gone = await pollUntil(
      () => lr(t, 'POST', '/documents/paginated', { as: f.kM, body: { page_size: 200 } }),
      (x) => !x.body.documents.some((d: { id: string }) => d.id === docId),
    );
    expect(gone.body.documents.map((d: { id: string }) => d.id)).not.toContain(docId);
    // the id of KB default, named through the Manuals key, was skipped: that document is still there
    expect((await nativeDocs(f.A.defaultId)).map((d) => d.document_id)).toContain(otherKbDoc);
    const empty = await lr(t, 'DELETE', '/documents/delete_document', { as: f.kM, body: { doc_ids: [] } });
    expect(empty.status).toBe(422);
    expect(empty.body.detail[0].loc).toEqual(['body', 'doc_ids']);
  });

  it('#26(c) DELETE /documents without a selector is 400 and deletes nothing; with one it clears that KB only', async () => {
    const before = (await nativeDocs(f.A.defaultId)).length;
    expect(before).toBeGreaterThan(0);
    const r = await lr(t, 'DELETE', '/documents', { as: f.kAll });
    expect(r.status).toBe(400);
    expect(typeof r.body.detail).toBe('string');
    expect((await nativeDocs(f.A.defaultId)).length).toBe(before);
    const cc = await lr(t, 'POST', '/documents/clear_cache', { as: f.kAll, body: {} });
    expect(cc.status).toBe(400);
    await idle('default');
    const manualsBefore = (await nativeDocs(f.A.manualsId)).length;
    const ok = await lr(t, 'DELETE', '/documents', { as: f.kAll, ws: 'default' });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ status: 'success', message: `All documents cleared successfully. Deleted ${before} files.` });
    expect(await nativeDocs(f.A.defaultId)).toEqual([]);
    const graph = await t.http.get(`${kbPath(f.A.tenantId, f.A.defaultId)}/graph/labels`, f.kAll);
    expect(graph.status).toBe(200);
    expect(graph.body.data).toEqual([]);
    expect((await nativeDocs(f.A.manualsId)).length).toBe(manualsBefore);
    const counts = await lr(t, 'GET', '/documents/status_counts', { as: f.kAll, ws: 'default' });
    expect(counts.body).toEqual({ status_counts: { all: 0 } });
  });

  it('cancel_pipeline fails the waiting documents, reprocess_failed queues them again; idle → not_busy', async () => {
    const ws = 'default';
    const tag = randomUUID().slice(0, 8);
    const texts = Array.from({ length: 30 }, (_, i) => `Cancellable document ${i} ${tag}: the tide tables for pier ${i} are posted weekly.`);
    const ins = await lr(t, 'POST', '/documents/texts', { as: f.kAll, ws, body: { texts } });
    expect(ins.body.status).toBe('success');
    const c = await lr(t, 'POST', '/documents/cancel_pipeline', { as: f.kAll, ws });
    expect(c.status).toBe(200);
    expect(c.body.status).toBe('cancellation_requested');
    const cancelled = Number(/Cancelled (\d+)/.exec(c.body.message)![1]);
    await idle(ws);
    const counts = (await lr(t, 'GET', '/documents/status_counts', { as: f.kAll, ws })).body.status_counts;
    expect(counts.failed ?? 0).toBe(cancelled);
    expect((counts.processed ?? 0) + (counts.failed ?? 0)).toBe(30);
    const re = await lr(t, 'POST', '/documents/reprocess_failed', { as: f.kAll, ws });
    expect(re.status).toBe(200);
    expect(re.body).toEqual({ status: 'reprocessing_started', message: expect.stringContaining(`${cancelled} failed documents`), track_id: '' });
    const done = await pollUntil(
      () => lr(t, 'GET', '/documents/status_counts', { as: f.kAll, ws }),
      (x) => x.body.status_counts.processed === 30,
    );
    expect(done.body.status_counts).toEqual({ processed: 30, all: 30 });
    const idleNow = await lr(t, 'POST', '/documents/cancel_pipeline', { as: f.kAll, ws });
    expect(idleNow.body).toEqual({ status: 'not_busy', message: expect.any(String) });
  });

  it('scan answers scanning_started with a scan_ track id that tracks nothing; clear_cache with a selector is a success; graph deletes are 501', async () => {
    const s = await lr(t, 'POST', '/documents/scan', { as: f.kM });
    expect(s.status).toBe(200);
    expect(s.body).toEqual({ status: 'scanning_started', message: expect.any(String), track_id: expect.stringMatching(/^scan_\d{8}_\d{6}_[0-9a-f]{8}$/) });
    const tracked = await lr(t, 'GET', `/documents/track_status/${s.body.track_id}`, { as: f.kM });
    expect(tracked.body.total_count).toBe(0);
    const cc = await lr(t, 'POST', '/documents/clear_cache', { as: f.kM, body: {} });
    expect(cc.status).toBe(200);
    expect(cc.body.status).toBe('success');
    for (const path of ['/documents/delete_entity', '/documents/delete_relation']) {
      const r = await lr(t, 'DELETE', path, { as: f.kM, body: { entity_name: 'X' } });
      expect(r.status).toBe(501);
      expect(r.body).toEqual({ detail: 'Not implemented by Strata' });
    }
  });

  it('compat inserts and deletes are audited like the native routes: the KB, the key, the outcome', async () => {
    const ins = await lr(t, 'POST', '/documents/text', { as: f.kM, body: { text: `Audited text ${randomUUID()}`, file_source: 'audited.txt' } });
    expect(ins.body.status).toBe('success');
    const id = (await lr(t, 'GET', `/documents/track_status/${ins.body.track_id}`, { as: f.kM })).body.documents[0].id;
    const del = await lr(t, 'DELETE', '/documents/delete_document', { as: f.kM, body: { doc_ids: [id] } });
    expect(del.status).toBe(200);
    const logs = await pollUntil(
      () => t.http.get(`/api/v1/tenants/${f.A.tenantId}/audit-logs?limit=200`, f.kAll),
      (r) => (r.body.data ?? []).some((e: { request_id: string }) => e.request_id === ins.headers.get('x-request-id')),
    );
    const entries: Array<Record<string, any>> = logs.body.data;
    const added = entries.find((e) => e.request_id === ins.headers.get('x-request-id'));
    expect(added).toMatchObject({ action: 'document.add', kb_id: f.A.manualsId, actor: `api_key:${f.kM.keyId}`, outcome: 'success', http_status: 200 });
    const deleted = entries.find((e) => e.request_id === del.headers.get('x-request-id'));
    expect(deleted).toMatchObject({ action: 'document.delete', kb_id: f.A.manualsId, actor: `api_key:${f.kM.keyId}`, outcome: 'success', http_status: 200 });
  });

  describe('hostile input: 422 with a detail list, never a 500, bounded work', () => {
    const expect422 = (r: ApiResponse, loc?: unknown[]) => {
      expect(r.status).toBe(422);
      expect(Array.isArray(r.body.detail)).toBe(true);
      if (loc) expect(r.body.detail[0].loc).toEqual(loc);
    };

    it('huge or absurd paging values', async () => {
      for (const body of [
        { page_size: 1e9 },
        { page_size: 201 },
        { page: 0 },
        { page: 1e300 },
        { page: -1 },
        { page: 'many' },
        { sort_field: 'content' },
        { sort_direction: 'up' },
        { status_filter: 'done' },
      ]) {
        const r = await lr(t, 'POST', '/documents/paginated', { as: f.kM, body });
        expect422(r, ['body', Object.keys(body)[0]]);
      }
    });

    it('10 000 doc_ids, duplicate ids, blank ids → 422 quickly; 1000 unknown ids → 200, all skipped', async () => {
      const ids = Array.from({ length: 10_000 }, () => randomUUID());
      const started = Date.now();
      expect422(await lr(t, 'DELETE', '/documents/delete_document', { as: f.kM, body: { doc_ids: ids } }), ['body', 'doc_ids']);
      expect(Date.now() - started).toBeLessThan(5000);
      // 1000 (the bound) ids of nothing in this KB: 200, all skipped, answered quickly
      const thousand = Array.from({ length: 1000 }, () => randomUUID());
      const t0 = Date.now();
      const none = await lr(t, 'DELETE', '/documents/delete_document', { as: f.kM, body: { doc_ids: thousand } });
      expect(none.status).toBe(200);
      expect(none.body.message).toContain('0 deleted, 1000 not found');
      expect(Date.now() - t0).toBeLessThan(5000);
      expect422(await lr(t, 'DELETE', '/documents/delete_document', { as: f.kM, body: { doc_ids: ['a', 'a'] } }), ['body', 'doc_ids']);
      expect422(await lr(t, 'DELETE', '/documents/delete_document', { as: f.kM, body: { doc_ids: ['  '] } }), ['body', 'doc_ids']);
      expect422(await lr(t, 'DELETE', '/documents/delete_document', { as: f.kM, body: { doc_ids: 'abc' } }), ['body', 'doc_ids']);
    });

    it('non-object bodies', async () => {
      for (const [path, method] of [
        ['/documents/text', 'POST'],
        ['/documents/texts', 'POST'],
        ['/documents/paginated', 'POST'],
        ['/documents/delete_document', 'DELETE'],
      ]) {
        for (const body of [[], 'text', 42, null]) expect422(await lr(t, method, path, { as: f.kM, body }), ['body']);
        expect422(await lr(t, method, path, { as: f.kM, raw: '{"text":', headers: { 'content-type': 'application/json' } }));
      }
    });

    it('NUL bytes, blank or missing text, too many texts', async () => {
      expect422(await lr(t, 'POST', '/documents/text', { as: f.kM, body: { text: 'a\u0000b' } }), ['body', 'text']);
      expect422(await lr(t, 'POST', '/documents/text', { as: f.kM, body: { text: 'fine', file_source: 'x\u0000.txt' } }), ['body', 'file_source']);
      expect422(await lr(t, 'POST', '/documents/text', { as: f.kM, body: { text: '   ' } }), ['body', 'text']);
      expect422(await lr(t, 'POST', '/documents/text', { as: f.kM, body: { file_source: 'x.txt' } }), ['body', 'text']);
      expect422(await lr(t, 'POST', '/documents/texts', { as: f.kM, body: { texts: ['ok', 'b\u0000'] } }), ['body', 'texts']);
      expect422(await lr(t, 'POST', '/documents/texts', { as: f.kM, body: { texts: Array.from({ length: 1001 }, (_, i) => `t${i}`) } }), ['body', 'texts']);
      expect422(await lr(t, 'POST', '/documents/texts', { as: f.kM, body: { texts: [] } }), ['body', 'texts']);
    });

    it('unknown fields are ignored (LightRAG clients send extra ones)', async () => {
      const r = await lr(t, 'POST', '/documents/paginated', { as: f.kM, body: { page: 1, page_size: 10, cache_type: 'all', status_filters: null } });
      expect(r.status).toBe(200);
    });
  });
});

describe('LightRAG compat: LIGHTRAG_COMPAT_DEDUPE_BY_NAME=false, and a low document rate limit', () => {
  let t: TestApp;
  let f: LightragFixture;

  beforeAll(async () => {
    t = await startTestApp({ env: { LIGHTRAG_COMPAT_DEDUPE_BY_NAME: 'false', RATE_LIMIT_DOCUMENTS_PER_HOUR: '10' } });
    f = await seedLightragFixture(t);
  });
  afterAll(() => t?.close());

  it('#6 a different text under an existing file_source is a second document; identical content is still duplicated', async () => {
    const text1 = `First version ${randomUUID()}`;
    const first = await lr(t, 'POST', '/documents/text', { as: f.kM, body: { text: text1, file_source: 'a.txt' } });
    expect(first.body.status).toBe('success');
    const second = await lr(t, 'POST', '/documents/text', { as: f.kM, body: { text: `Second version ${randomUUID()}`, file_source: 'a.txt' } });
    expect(second.body.status).toBe('success');
    expect(second.body.track_id).not.toBe(first.body.track_id);
    const r = await lr(t, 'POST', '/documents/paginated', { as: f.kM, body: { page_size: 10 } });
    expect(r.body.documents.filter((d: { file_path: string }) => d.file_path === 'a.txt')).toHaveLength(2);
    const same = await lr(t, 'POST', '/documents/text', { as: f.kM, body: { text: text1, file_source: 'b.txt' } });
    expect(same.body).toEqual({ status: 'duplicated', message: expect.any(String), track_id: first.body.track_id });
  });

  it('inserts share the tenant\'s document rate limit with the native routes: 429 {"detail"} with Retry-After', async () => {
    let refused: ApiResponse | undefined;
    for (let i = 0; i < 30 && !refused; i++) {
      const r = await lr(t, 'POST', '/documents/text', { as: f.kM, body: { text: `Rate limited text ${i} ${randomUUID()}` } });
      if (r.status === 429) refused = r;
      else expect(r.status).toBe(200);
    }
    expect(refused).toBeDefined();
    expect(typeof refused!.body.detail).toBe('string');
    expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThan(0);
    const native = await t.http.post(`${kbPath(f.A.tenantId, f.A.manualsId)}/documents/text`, { text: `Native after the limit ${randomUUID()}` }, f.kM);
    expect(native.status).toBe(429);
  });
});
