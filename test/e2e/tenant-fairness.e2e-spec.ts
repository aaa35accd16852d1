import { AuditRepository } from '../../src/audit/audit.repository';
import { AuditService } from '../../src/audit/audit.service';
import { fillAuditChain } from '../support/audit';
import { DocumentParser } from '../../src/documents/parsers/document-parser';
import { PlannerStatistics } from '../../src/rag/storage/planner-statistics';
import { kbPath, waitForProcessed } from '../support/rag';
import { seedTenant, startTestApp, TestApp } from '../support/test-app';

/**
 * One tenant's burst does not queue another tenant's request behind it.
 * Both tenants share the process: its event loop, the database pool, the
 * engine's caches and the compute threads.
 * - Queries: tenant B's one query, sent after tenant A's burst of concurrent
 *   queries, is answered before most of that burst, as it is today
 *   (measured: 2nd or 3rd of 41, on PGlite and on the server) — a
 *   regression guard for anything that would make the query path one queue.
 * - Uploads: a parse can hold a compute thread for up to PARSE_TIMEOUT_S, so
 *   one tenant parses on all threads but one (DocumentParser): tenant B's
 *   small upload, sent while one of tenant A's slow uploads is being parsed
 *   and the other waits for A's turn, is parsed at once on the free thread
 *   and answered before the A upload that waited (which parses only once
 *   A's first is done). With A free to parse on both threads, the parser
 *   held two of A's parses when B arrived and B waited for one of them.
 * - Audit chain verification: a verify walks the tenant's whole chain, a
 *   page at a time. Tenant A's twenty concurrent verifies of its long chain
 *   are two walks (the running one, and one queued that the rest join), A
 *   has one page read in flight at a time, and tenant B's verify is answered
 *   while A's first walk is held at its first page (VerifyScheduler).
 *   Before, they were twenty walks, and on PGlite each held every other
 *   request off the event loop until it ended.
 * - Heavy reads: tenant A keeps twenty reads of the far end of its long
 *   audit log in flight (each counts the chain and skips to its end); tenant
 *   B's query, sent after them, is answered before most of them. PGlite's
 *   one connection goes to the tenants in turn and lets the event loop read
 *   requests between units (DatabaseService.turns); before, B's query was
 *   answered last, 21st of 21. On a server the pool's connections go to the
 *   tenants in turn, A holding at most all but one (DatabaseService.connections);
 *   before, B's units queued behind A's in node-postgres' one queue (a CI run
 *   under load: 21st of 21).
 * Asserted on the parser's own state when B is sent and on the order answers
 * come back in, not on times (a loaded CI machine slows both tenants alike).
 * B is not asserted to beat A's first upload: that one may be near the end
 * of its parse when B is sent (a CI run saw A0 answered first).
 */
const BURST = 40;

describe("tenant fairness: one tenant's burst of queries does not queue another tenant's query behind it", () => {
  let t: TestApp;
  let a: Awaited<ReturnType<typeof seedTenant>>;
  let b: Awaited<ReturnType<typeof seedTenant>>;

  beforeAll(async () => {
    t = await startTestApp({ env: { RATE_LIMIT_QUERIES_PER_MINUTE: '100000', RATE_LIMIT_DOCUMENTS_PER_HOUR: '100000', COMPUTE_THREADS: '2' } });
    a = await seedTenant(t, 'Fair A');
    b = await seedTenant(t, 'Fair B');
    const text = Array.from(
      { length: 60 },
      (_, i) => `Harbour ${i} keeps lanterns, ropes and tide tables for the ships of pier ${i % 9}. The keeper ${i} logs every arrival.`,
    ).join('\n\n');
    for (const s of [a, b]) {
      const add = await t.http.post(`${kbPath(s.tenantId, s.kbIds[0])}/documents/text`, { text, file_source: 'harbour.txt' }, s.key);
      expect(add.status).toBe(202);
      await waitForProcessed(t.http, s.tenantId, s.kbIds[0], add.body.data.document_id, s.key);
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  it(`tenant B's query, sent after tenant A's ${BURST} concurrent mix queries, is answered before most of them`, async () => {
    const done: string[] = [];
    const ask = (s: typeof a, name: string, i: number) =>
      t.http.post(`${kbPath(s.tenantId, s.kbIds[0])}/query`, { query: `Which keeper logs arrivals at harbour ${i}?`, mode: 'mix', only_need_context: true }, s.key).then((r) => {
        expect(r.status).toBe(200);
        done.push(name);
      });
    // Warm: each tenant's engine instance and caches exist before the burst.
    await Promise.all([ask(a, 'warm', 999), ask(b, 'warm', 999)]);
    done.length = 0;
    const burst = Array.from({ length: BURST }, (_, i) => ask(a, 'A', i));
    await new Promise((r) => setTimeout(r, 20));
    await Promise.all([...burst, ask(b, 'B', 0)]);
    const position = done.indexOf('B');
    console.log(`tenant-fairness: B answered ${position + 1}th of ${done.length}`);
    expect(position).toBeLessThan(BURST / 2);
  });
  it("tenant B's small upload, sent while one of tenant A's slow-to-parse uploads is parsed and the other waits for A's turn, is parsed on the free thread and answered before the one that waited: one tenant parses on all compute threads but one", async () => {
    // 10.8 MB of empty nested inline tags: a few hundred ms of parsing on a quiet machine (the later of A's two is parsed only after the first) for a few letters of text (a distinct word each, so none is a duplicate).
    const slow = (i: number) => `<html><body>${'<span><b><i></i></b></span>'.repeat(400_000)}slowfile${i}x${Date.now()}</body></html>`;
    const parser = t.app.get(DocumentParser);
    const done: string[] = [];
    const upload = (s: typeof a, name: string, file: string, content: string, type: string) => {
      const form = new FormData();
      form.append('file', new Blob([content], { type }), file);
      return t.http.request('POST', `${kbPath(s.tenantId, s.kbIds[0])}/documents/add`, { raw: form, as: s.key }).then((r) => {
        expect(r.status).toBe(202);
        done.push(name);
      });
    };
    const aUploads = [0, 1].map((i) => upload(a, `A${i}`, `slow-${i}.html`, slow(i), 'text/html'));
    // Both of A's files have reached the parser (read from the request; parsing, or waiting for A's turn).
    for (let i = 0; i < 600 && parser.parsing.admitted + parser.parsing.waiting < 2; i++) await new Promise((r) => setTimeout(r, 10));
    const atB = { ...parser.parsing };
    await Promise.all([...aUploads, upload(b, 'B', 'note.txt', `Tenant B's short note ${Date.now()}.`, 'text/plain')]);
    // A parses one file at a time: the other thread is free for B. (With A free to parse on both threads,
    // the parser held two of A's parses here and B waited for one of them.)
    expect(atB).toEqual({ admitted: 1, waiting: 1 });
    // B is answered before the A upload that waited for A's first to be parsed: first or second of three.
    expect(done).toHaveLength(3);
    expect(done.indexOf('B')).toBeLessThan(2);
  });

  it("tenant A's 20 concurrent verifies of its long audit chain are two walks, reading one page at a time, and tenant B's verify is answered while A's first walk waits", async () => {
    const ROWS = 4000;
    const audit = t.app.get(AuditService);
    const repo = t.app.get(AuditRepository);
    await fillAuditChain(t, a.tenantId, ROWS);
    await t.app.get(PlannerStatistics).refresh();
    const done: string[] = [];
    // A's verifies as they reach the scheduler; A's first walk reads its first page only once all twenty
    // have arrived and B's verify is answered (or 15 s passed: then B waited for A, and the order check fails).
    let arrived = 0;
    const walk = audit.verifier.walk.bind(audit.verifier);
    const walkSpy = jest.spyOn(audit.verifier, 'walk').mockImplementation((key, fn) => {
      if (key === a.tenantId) arrived++;
      return walk(key, fn);
    });
    let gated = false;
    const page = audit.verifier.page.bind(audit.verifier);
    const pageSpy = jest.spyOn(audit.verifier, 'page').mockImplementation(async (owner, read) => {
      if (owner === a.tenantId && !gated) {
        gated = true;
        for (let i = 0; i < 1500 && !(arrived === 20 && done.includes('B')); i++) await new Promise((r) => setTimeout(r, 10));
      }
      return page(owner, read);
    });
    // Every page read of A's chain as the walks make them: a walk starts with the read after no row.
    const seen = { walks: 0, inFlight: 0, maxInFlight: 0 };
    const read = repo.page.bind(repo);
    const readSpy = jest.spyOn(repo, 'page').mockImplementation(async (db, chain, after, limit) => {
      if (chain !== a.tenantId) return read(db, chain, after, limit);
      if (after === null) seen.walks++;
      seen.maxInFlight = Math.max(seen.maxInFlight, ++seen.inFlight);
      try {
        return await read(db, chain, after, limit);
      } finally {
        seen.inFlight--;
      }
    });
    try {
      const verify = (s: typeof a, name: string) =>
        t.http.get(`/api/v1/tenants/${s.tenantId}/audit-logs/verify`, s.key).then((r) => {
          expect(r.status).toBe(200);
          expect(r.body.data.valid).toBe(true);
          done.push(name);
          return r.body.data as { checked: number; head_seq: string };
        });
      const burst = Array.from({ length: 20 }, () => verify(a, 'A'));
      const [bResult, ...aResults] = await Promise.all([verify(b, 'B'), ...burst]);
      expect(arrived).toBe(20);
      // The first walk, and one more queued by the second verify that the other eighteen joined.
      expect(seen).toEqual({ walks: 2, inFlight: 0, maxInFlight: 1 });
      // Each of A's callers got a walk that started after it asked: every row written before is checked.
      for (const r of aResults) expect(r.checked).toBeGreaterThan(ROWS);
      expect(bResult.checked).toBeGreaterThan(0);
      expect(done[0]).toBe('B');
    } finally {
      walkSpy.mockRestore();
      pageSpy.mockRestore();
      readSpy.mockRestore();
    }
  });

  it("tenant B's query, sent while tenant A has 20 reads of the far end of its long audit log in flight, is answered before most of them", async () => {
    // A's chain holds the previous test's rows (4 000 and more); a read of its oldest page counts the whole chain and skips to its end.
    const total = (await t.http.get(`/api/v1/tenants/${a.tenantId}/audit-logs?limit=1`, a.key)).body.meta.total as number;
    expect(total).toBeGreaterThan(4000);
    const done: string[] = [];
    const warm = await t.http.post(`${kbPath(b.tenantId, b.kbIds[0])}/query`, { query: 'Which keeper logs arrivals?', mode: 'naive', only_need_context: true }, b.key);
    expect(warm.status).toBe(200);
    const reads = Array.from({ length: 20 }, () =>
      t.http.get(`/api/v1/tenants/${a.tenantId}/audit-logs?offset=${total - 200}&limit=200`, a.key).then((r) => {
        expect(r.status).toBe(200);
        expect(r.body.data).toHaveLength(200);
        done.push('A');
      }),
    );
    await new Promise((r) => setTimeout(r, 20));
    const query = t.http
      .post(`${kbPath(b.tenantId, b.kbIds[0])}/query`, { query: 'Which keeper logs arrivals at harbour 3?', mode: 'naive', only_need_context: true }, b.key)
      .then((r) => {
        expect(r.status).toBe(200);
        done.push('B');
      });
    await Promise.all([...reads, query]);
    console.log(`tenant-fairness: B's query answered ${done.indexOf('B') + 1}th of ${done.length} (A reading its audit log)`);
    expect(done.indexOf('B')).toBeLessThan(10);
  });
});
