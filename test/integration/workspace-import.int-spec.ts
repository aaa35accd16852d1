import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJsonWorkspace } from '../../src/compat/lightrag/json-workspace.reader';
import { readPgWorkspace } from '../../src/compat/lightrag/pg-workspace.reader';
import { WorkspaceImporter } from '../../src/compat/lightrag/workspace-importer.service';
import { lightragDatabase } from '../support/lightrag-pg';
import { freshDatabase } from '../support/test-db';
import { startTestApp, TestApp } from '../support/test-app';

const FIXTURE = join(__dirname, '..', 'fixtures', 'lightrag-workspace', 'demo');
const SCRIPT = join(__dirname, '..', '..', 'dist', 'scripts', 'migrate-workspace-to-tenant.js');

async function tenantBySlug(t: TestApp, slug: string): Promise<any> {
  const list = await t.http.get('/api/v1/tenants?limit=200', t.admin);
  return list.body.data.find((x: { slug: string }) => x.slug === slug);
}

describe('LightRAG workspace import (JSON working directory)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('a dry run reports what it would import and writes nothing', async () => {
    const lines: string[] = [];
    const s = await t.app.get(WorkspaceImporter).import(readJsonWorkspace(FIXTURE), { tenant: 'dry-demo', dryRun: true, onProgress: (l) => lines.push(l) });
    expect(s).toMatchObject({ dry_run: true, tenant_id: null, documents_imported: 2, chunks_imported: 2, entities_linked: 6, relations_linked: 4 });
    expect(lines.some((l) => l.includes('would import'))).toBe(true);
    expect(await tenantBySlug(t, 'dry-demo')).toBeUndefined();
  });

  it('workspace demo becomes tenant demo with its documents, chunks and LightRAG graph; a second run adds nothing', async () => {
    const importer = t.app.get(WorkspaceImporter);
    const first = await importer.import(readJsonWorkspace(FIXTURE));
    expect(first).toMatchObject({ tenant_slug: 'demo', kb_name: 'default', created_tenant: true, created_kb: true, documents_imported: 2, documents_skipped: 0 });
    const tenant = await tenantBySlug(t, 'demo');
    expect(tenant.tenant_id).toBe(first.tenant_id);
    const base = `/api/v1/tenants/${first.tenant_id}/knowledge-bases/${first.kb_id}`;

    const docs = await t.http.get(`${base}/documents`, t.admin);
    expect(docs.body.meta.total).toBe(2);
    expect(docs.body.data.map((d: { status: string }) => d.status)).toEqual(['processed', 'processed']);
    expect(docs.body.data.map((d: { file_path: string }) => d.file_path).sort()).toEqual(['lighthouses.txt', 'tea.md']);

    // The graph is LightRAG's (typed entities from the GraphML), not re-extracted.
    const labels = await t.http.get(`${base}/graph/labels`, t.admin);
    expect(JSON.stringify(labels.body.data)).toContain('Robert Stevenson');
    const ctx = await t.http.post(`${base}/query`, { query: 'Who built the Bell Rock Lighthouse?', mode: 'local', only_need_context: true }, t.admin);
    expect(ctx.status).toBe(200);
    const stevenson = ctx.body.data.context.entities.find((e: { name: string }) => e.name === 'Robert Stevenson');
    expect(stevenson).toMatchObject({ type: 'person' });
    expect(stevenson.description).toMatch(/civil engineer/);
    const naive = await t.http.post(`${base}/query`, { query: 'Who built the Bell Rock Lighthouse?', mode: 'naive', only_need_context: true }, t.admin);
    expect(naive.body.data.references[0].file_path).toBe('lighthouses.txt');

    const second = await importer.import(readJsonWorkspace(FIXTURE));
    expect(second).toMatchObject({ created_tenant: false, created_kb: false, documents_imported: 0, documents_skipped: 2, tenant_id: first.tenant_id });
    const again = await t.http.get(`${base}/documents`, t.admin);
    expect(again.body.meta.total).toBe(2);
  });

  it('--tenant and --kb choose the target names', async () => {
    const s = await t.app.get(WorkspaceImporter).import(readJsonWorkspace(FIXTURE), { tenant: 'Acme Imports', kb: 'legacy' });
    expect(s).toMatchObject({ tenant_slug: 'acme-imports', kb_name: 'legacy', documents_imported: 2 });
  });
});

(process.env.TEST_DATABASE_URL ? describe : describe.skip)('LightRAG workspace import (PostgreSQL LIGHTRAG_* tables)', () => {
  it('reads one workspace from LightRAG tables and leaves other workspaces out', async () => {
    const source = await lightragDatabase(async (c) => {
      const text = 'The Forth Bridge crosses the Firth of Forth. It was designed by John Fowler and Benjamin Baker.';
      await c.query(`INSERT INTO LIGHTRAG_DOC_FULL VALUES ('doc-1', 'bridges', 'forth.txt', $1, '{}'), ('doc-x', 'other', 'x.txt', 'Other workspace text', '{}')`, [text]);
      await c.query(`INSERT INTO LIGHTRAG_DOC_CHUNKS VALUES ('chunk-1', 'bridges', 'doc-1', 0, 22, $1, 'forth.txt')`, [text]);
      await c.query(`INSERT INTO LIGHTRAG_VDB_ENTITY VALUES ('ent-1', 'bridges', 'John Fowler', E'John Fowler\\nEngineer of the Forth Bridge.', '{chunk-1}', 'forth.txt'),
                                                      ('ent-2', 'bridges', 'Forth Bridge', E'Forth Bridge\\nA cantilever railway bridge.', '{chunk-1}', 'forth.txt')`);
      await c.query(
        `INSERT INTO LIGHTRAG_VDB_RELATION VALUES ('rel-1', 'bridges', 'John Fowler', 'Forth Bridge', E'design\\tJohn Fowler\\nForth Bridge\\nJohn Fowler designed the Forth Bridge.', '{chunk-1}', 'forth.txt')`,
      );
    });
    try {
      const ws = await readPgWorkspace(source.url, 'bridges');
      expect(ws.documents).toHaveLength(1);
      expect(ws.documents[0]).toMatchObject({ sourceId: 'doc-1', filePath: 'forth.txt' });
      expect(ws.entities.find((e) => e.name === 'John Fowler')).toMatchObject({ description: 'Engineer of the Forth Bridge.', chunkIds: ['chunk-1'] });
      expect(ws.relations[0]).toMatchObject({ source: 'John Fowler', target: 'Forth Bridge', keywords: 'design', description: 'John Fowler designed the Forth Bridge.' });
      await expect(readPgWorkspace(source.url, 'missing')).rejects.toThrow(/no documents/);

      const t = await startTestApp();
      try {
        const s = await t.app.get(WorkspaceImporter).import(ws);
        expect(s).toMatchObject({ tenant_slug: 'bridges', documents_imported: 1, entities_linked: 2, relations_linked: 1 });
      } finally {
        await t.close();
      }
    } finally {
      await source.drop();
    }
  });
});

describe('scripts/migrate-workspace-to-tenant (the command line)', () => {
  function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
    return new Promise((resolve) => {
      let out = '';
      const child = spawn(process.execPath, [SCRIPT, ...args], { env: { ...process.env, ADMIN_PASSWORD: 'script-admin-password', ...env } });
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('exit', (code) => resolve({ code, out }));
    });
  }

  it('shows progress, ends with a summary, and is idempotent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-import-'));
    const db = process.env.TEST_DATABASE_URL ? await freshDatabase() : null;
    const env = db ? db.env : { DATA_DIR: dir };
    try {
      const dry = await run(['--working-dir', FIXTURE, '--dry-run'], env);
      expect(dry.code).toBe(0);
      expect(dry.out).toMatch(/dry run — nothing written/);
      const first = await run(['--working-dir', FIXTURE], env);
      expect(first.code).toBe(0);
      expect(first.out).toMatch(/\[1\/2\] .*imported 1 chunks/);
      expect(first.out).toMatch(/tenant demo \(created\), KB default \(created\): 2 documents imported/);
      const second = await run(['--working-dir', FIXTURE, '--json'], env);
      expect(second.code).toBe(0);
      const summary = JSON.parse(second.out.split('\n').find((l) => l.startsWith('{'))!);
      expect(summary.workspaces[0].summary).toMatchObject({ documents_imported: 0, documents_skipped: 2, created_tenant: false });
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await db?.drop();
    }
  });

  it('explains bad arguments with the usage line and exit code 2', async () => {
    const r = await run(['--pg-url', 'postgres://x'], { DATA_DIR: 'memory://' });
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/usage: migrate-workspace-to-tenant/);
    const missing = await run(['--working-dir', '/does/not/exist'], { DATA_DIR: 'memory://' });
    expect(missing.code).toBe(1);
    expect(missing.out).toMatch(/does not exist/);
  });
});
