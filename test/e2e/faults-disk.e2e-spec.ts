import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Credentials } from '../support/http';
import { kbPath, waitForProcessed } from '../support/rag';
import { freshDatabase, TestDatabase } from '../support/test-db';
import { seedTenant, startTestApp, TestApp } from '../support/test-app';

/**
 * Issue 12, "Disk full or DATA_DIR unwritable at start; an upload that
 * cannot be stored". Start-up: the built server (`node dist/src/main.js`,
 * needs `npm run build`) with DATA_DIR under a regular file (ENOTDIR: fails
 * for root too), on a tmpfs filled to the last byte (ENOSPC) and on that
 * tmpfs remounted read-only (EROFS) — the tests run as root, which mounts
 * them, and chmod would not stop root. Uploads: the server keeps uploads in
 * the database (no file is written), so "cannot be stored" is the database
 * refusing the write for lack of space: SQLSTATE 53100 (disk_full), raised
 * here by a trigger of the test on the real database at the exact write.
 */
const MAIN = join(__dirname, '..', '..', 'dist', 'src', 'main.js');
/** Bounds a hung start on a busy machine; a refused start takes well under a second. */
const EXIT_DEADLINE_MS = 60_000;

function runServer(env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d.toString()));
    child.stderr!.on('data', (d) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not exit within ${EXIT_DEADLINE_MS} ms:\n${stdout}${stderr}`));
    }, EXIT_DEADLINE_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}

describe('faults: DATA_DIR unwritable or full at start (issue 12)', () => {
  let dir: string;
  let mnt: string;
  let mounted = false;
  let database: TestDatabase | null = null;
  /** No TOKEN_SECRET / API_KEY_PEPPER: the key file must be created in DATA_DIR on PostgreSQL too. */
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'strata-faults-disk-'));
    mnt = join(dir, 'mnt');
    mkdirSync(mnt);
    database = process.env.TEST_DATABASE_URL ? await freshDatabase() : null;
    env = { PORT: '0', HOST: '127.0.0.1', ADMIN_PASSWORD: 'faults-disk-password', LOG_LEVEL: 'info', ...(database?.env ?? {}) };
    delete env.DATA_DIR;
  });
  afterAll(async () => {
    if (mounted) execFileSync('umount', [mnt]);
    rmSync(dir, { recursive: true, force: true });
    await database?.drop();
  });

  it('DATA_DIR below a regular file (ENOTDIR): exit 1 with one line naming the path and the reason', async () => {
    writeFileSync(join(dir, 'file.txt'), 'not a directory');
    const path = join(dir, 'file.txt', 'sub');
    const r = await runServer({ ...env, DATA_DIR: path });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([`strata: DATA_DIR ${path} is not writable: a part of the path is a file, not a directory (ENOTDIR). ${FIX}`]);
  });

  it('DATA_DIR on a full file system (a 1 MiB tmpfs filled to the last byte, ENOSPC), then remounted read-only (EROFS, an existing and a missing directory): exit 1 naming the path and the reason', async () => {
    // Root mounts it (CAP_SYS_ADMIN, as on the project's machines and CI).
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]);
    mounted = true;
    const filler = Buffer.alloc(4096, 1);
    mkdirSync(join(mnt, 'existing'));
    try {
      for (let i = 0; i < 1024; i++) writeFileSync(join(mnt, 'filler'), filler, { flag: 'a' });
      throw new Error('the 1 MiB tmpfs never filled up');
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
    }
    const full = join(mnt, 'data');
    const r = await runServer({ ...env, DATA_DIR: full });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([`strata: DATA_DIR ${full} is not writable: no space left on device (ENOSPC). ${FIX}`]);

    // Read-only: an existing directory (a volume mounted read-only), and one the server would have to create.
    execFileSync('mount', ['-o', 'remount,ro', mnt]);
    for (const readOnly of [join(mnt, 'existing'), join(mnt, 'ro-data', 'sub')]) {
      const ro = await runServer({ ...env, DATA_DIR: readOnly });
      expect(ro.code).toBe(1);
      expect(ro.stderr.trim().split('\n')).toEqual([`strata: DATA_DIR ${readOnly} is not writable: read-only file system (EROFS). ${FIX}`]);
    }
  });
});

const FIX = 'The server keeps its embedded database and its key file there: point DATA_DIR at a writable directory with free space, or free some space.';

describe('faults: an upload that cannot be stored (issue 12)', () => {
  let t: TestApp;
  let A: { tenantId: string; kbIds: string[]; key: Credentials };

  const upload = (name: string, text: string) => {
    const form = new FormData();
    form.append('file', new Blob([Buffer.from(text)], { type: 'text/plain' }), name);
    return t.http.request('POST', `${kbPath(A.tenantId, A.kbIds[0])}/documents/add`, { raw: form, as: A.key });
  };
  /** Rows of the KB, read past RLS on the test's own connection. */
  const rows = async (table: 'documents' | 'chunks' | 'jobs' | 'chunk_staging') =>
    Number((await t.db.dataSource.query(`SELECT count(*)::int AS n FROM ${table} WHERE tenant_id = $1 AND kb_id = $2`, [A.tenantId, A.kbIds[0]]))[0].n);
  /** Makes PostgreSQL answer disk_full (SQLSTATE 53100) to this tenant's inserts into `table`, as a full disk does. */
  const diskFullOn = async (table: 'jobs' | 'chunk_staging') => {
    await t.db.dataSource.query(`CREATE OR REPLACE FUNCTION test_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.tenant_id = '${A.tenantId}'::uuid THEN
          RAISE EXCEPTION 'could not extend file "base/16384/16999": No space left on device' USING ERRCODE = 'disk_full';
        END IF;
        RETURN NEW;
      END $$`);
    await t.db.dataSource.query(`CREATE TRIGGER test_disk_full BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION test_disk_full()`);
    return () => t.db.dataSource.query(`DROP TRIGGER test_disk_full ON ${table}`);
  };

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());
  beforeEach(async () => {
    A = await seedTenant(t, `Disk Full ${randomUUID().slice(0, 6)}`);
  });

  it('the database refuses the write (disk full) after the document row: 507 INSUFFICIENT_STORAGE in the envelope, no document, job or chunk left; the same file is accepted (not a duplicate) once space is back', async () => {
    const text = `A report on harbour tides ${randomUUID()} that the full disk refused.`;
    const space = await diskFullOn('jobs');
    const refused = await upload('tides.txt', text);
    const refusedText = await t.http.post(`${kbPath(A.tenantId, A.kbIds[0])}/documents/text`, { text: `${text} (as text)` }, A.key);
    await space();
    for (const r of [refused, refusedText]) {
      expect(r.status).toBe(507);
      expect(r.body).toEqual({
        status: 'error',
        error: {
          code: 'INSUFFICIENT_STORAGE',
          message: expect.stringMatching(/no storage space left; nothing of this request was stored/),
          request_id: r.headers.get('x-request-id'),
        },
      });
      expect(r.text).not.toMatch(/base\/16384|extend file/);
    }
    expect(await rows('documents')).toBe(0);
    expect(await rows('jobs')).toBe(0);
    expect(await rows('chunks')).toBe(0);
    const listed = await t.http.get(`${kbPath(A.tenantId, A.kbIds[0])}/documents`, A.key);
    expect(listed.body.meta.total).toBe(0);

    const accepted = await upload('tides.txt', text);
    expect(accepted.status).toBe(202);
    const doc = await waitForProcessed(t.http, A.tenantId, A.kbIds[0], accepted.body.data.document_id, A.key);
    expect(doc.chunks_count).toBeGreaterThanOrEqual(1);
    expect(await rows('documents')).toBe(1);
  });

  it('the disk fills while a stored upload is being indexed: no chunk becomes visible, the document goes back to pending (not stuck processing) and is indexed once when space is back', async () => {
    const marker = `spacemarker${randomUUID().replace(/\D/g, '').slice(0, 8)}`;
    const space = await diskFullOn('chunk_staging');
    const accepted = await upload('later.txt', `Indexed only when the disk has room again: ${marker}.`);
    expect(accepted.status).toBe(202);
    const id = accepted.body.data.document_id;
    // Wait (bounded) for the first attempt to fail at the staging write.
    let job: { attempts: number; state: string; last_error: string | null } | undefined;
    for (let i = 0; i < 400; i++) {
      [job] = await t.db.dataSource.query(`SELECT attempts, state, last_error FROM jobs WHERE document_id = $1`, [id]);
      if (job && job.attempts >= 1 && job.state === 'pending') break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(job).toMatchObject({ state: 'pending', last_error: expect.stringContaining('No space left on device') });
    const pending = await t.http.get(`${kbPath(A.tenantId, A.kbIds[0])}/documents/${id}`, A.key);
    expect(pending.body.data).toMatchObject({ status: 'pending', chunks_count: 0 });
    expect(await rows('chunks')).toBe(0);
    expect(await rows('chunk_staging')).toBe(0);
    const q = await t.http.post(`${kbPath(A.tenantId, A.kbIds[0])}/query`, { query: marker, mode: 'naive', only_need_context: true }, A.key);
    expect(q.body.data.context.chunks).toEqual([]);

    await space();
    const doc = await waitForProcessed(t.http, A.tenantId, A.kbIds[0], id, A.key);
    expect(await rows('chunks')).toBe(doc.chunks_count);
    expect(await rows('chunk_staging')).toBe(0);
    const found = await t.http.post(`${kbPath(A.tenantId, A.kbIds[0])}/query`, { query: marker, mode: 'naive', only_need_context: true }, A.key);
    expect(found.body.data.context.chunks.map((c: { document_id: string }) => c.document_id)).toEqual(Array(doc.chunks_count).fill(id));
  });
});
