import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/database/data-source.factory';
import { DEMO, installation, run } from '../support/lightrag-installation';
import { lightragDatabase } from '../support/lightrag-pg';
import { freshDatabase, TestDatabase } from '../support/test-db';

/**
 * scripts/migrate-workspace-to-tenant --all, run the way users run it (the
 * compiled script, in its own process), against a LightRAG installation with
 * three workspaces: the default one (files directly in the working directory),
 * acme and globex (sub-directories).
 */
/** The target database, opened as its owner (RLS does not apply) between two runs of the script. */
async function inspect<T>(env: Record<string, string>, fn: (q: (sql: string) => Promise<any[]>) => Promise<T>): Promise<T> {
  const db = await openDatabase({ databaseUrl: env.DATABASE_URL ?? null, dataDir: env.DATA_DIR ?? '' });
  try {
    return await fn((sql) => db.dataSource.query(sql));
  } finally {
    await db.close();
  }
}

async function target(): Promise<{ env: Record<string, string>; done: () => Promise<void> }> {
  const db: TestDatabase | null = process.env.TEST_DATABASE_URL ? await freshDatabase() : null;
  const dir = mkdtempSync(join(tmpdir(), 'strata-import-all-'));
  return {
    env: db ? db.env : { DATA_DIR: dir },
    done: async () => {
      rmSync(dir, { recursive: true, force: true });
      await db?.drop();
    },
  };
}

const docsByTenant = (q: (sql: string) => Promise<any[]>) =>
  q(`SELECT t.slug, d.file_path FROM documents d JOIN tenants t ON t.id = d.tenant_id ORDER BY t.slug, d.file_path`).then((rows) =>
    rows.reduce((m: Record<string, string[]>, r: { slug: string; file_path: string }) => ({ ...m, [r.slug]: [...(m[r.slug] ?? []), r.file_path] }), {}),
  );

const byWorkspace = (doc: { workspaces: Array<{ workspace: string }> }) => Object.fromEntries(doc.workspaces.map((w) => [w.workspace, w])) as Record<string, any>;

describe('scripts/migrate-workspace-to-tenant --all (JSON working directory, three workspaces)', () => {
  let root: string;
  let db: Awaited<ReturnType<typeof target>>;
  beforeAll(async () => {
    root = installation();
    db = await target();
  });
  afterAll(async () => {
    rmSync(root, { recursive: true, force: true });
    await db.done();
  });

  it('a dry run over every workspace reports the counts and writes nothing', async () => {
    const r = await run(['--working-dir', root, '--all', '--dry-run', '--json'], db.env);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ dry_run: true, ok: true, failed: 0 });
    expect(doc.workspaces.map((w: { workspace: string; tenant: string }) => [w.workspace, w.tenant])).toEqual([
      ['', 'default'],
      ['acme', 'acme'],
      ['globex', 'globex'],
    ]);
    expect(byWorkspace(doc).acme.summary.counts.documents).toEqual({ found: 2, imported: 2, already_present: 0, skipped: 0 });
    expect(await inspect(db.env, async (q) => (await q(`SELECT count(*)::int AS n FROM tenants`))[0].n)).toBe(0);
  });

  it('imports each workspace into its own tenant, with the right counts, and creates no admin', async () => {
    const r = await run(['--working-dir', root, '--all', '--json'], db.env);
    expect(r.code).toBe(0);
    expect(r.out).not.toMatch(/password|METRICS_TOKEN/i);
    const ws = byWorkspace(JSON.parse(r.stdout));
    expect(ws[''].summary).toMatchObject({ tenant_slug: 'default', kb_name: 'default', created_tenant: true });
    expect(ws[''].summary.counts).toEqual({
      documents: { found: 2, imported: 2, already_present: 0, skipped: 0 },
      chunks: { found: 2, imported: 2, already_present: 0, skipped: 0 },
      entities: { found: 6, imported: 6, already_present: 0, skipped: 0 },
      relations: { found: 4, imported: 4, already_present: 0, skipped: 0 },
    });
    expect(ws.acme.summary.counts.entities).toEqual({ found: 3, imported: 2, already_present: 0, skipped: 1 });
    expect(ws.acme.summary.counts.relations).toEqual({ found: 1, imported: 1, already_present: 0, skipped: 0 });
    expect(ws.acme.summary.skipped).toEqual([{ kind: 'entity', id: 'Ghost Entity', reason: expect.stringMatching(/no supporting chunk/) }]);
    expect(ws.globex.summary.counts.chunks).toEqual({ found: 2, imported: 1, already_present: 0, skipped: 1 });
    expect(ws.globex.summary.skipped).toEqual([{ kind: 'chunk', id: 'chunk-orphan', reason: expect.stringMatching(/doc-missing/) }]);

    await inspect(db.env, async (q) => {
      expect(await docsByTenant(q)).toEqual({ acme: ['anvils.txt', 'rockets.txt'], default: ['lighthouses.txt', 'tea.md'], globex: ['globex.txt'] });
      const ents = await q(`SELECT t.slug, e.name FROM entities e JOIN tenants t ON t.id = e.tenant_id ORDER BY e.name`);
      const of = (slug: string) => ents.filter((e: { slug: string }) => e.slug === slug).map((e: { name: string }) => e.name);
      expect(of('globex')).toEqual(['Hank Scorpio']);
      expect(of('acme')).toEqual(['Acme Corporation', 'Rocket Skates']);
      expect(of('default')).toContain('Robert Stevenson');
      expect((await q(`SELECT count(*)::int AS n FROM users`))[0].n).toBe(0);
    });
  });

  it('a second run is a no-op: everything already present', async () => {
    const r = await run(['--working-dir', root, '--all'], db.env);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/workspace \(default\) → tenant default, KB default: 0 documents imported, 2 already present/);
    expect(r.out).toMatch(/workspace acme → tenant acme, KB default: 0 documents imported, 2 already present/);
    expect(r.out).toMatch(/documents 1 found, 0 imported, 1 already present, 0 skipped/);
    expect(r.out).toMatch(/3 workspace\(s\): 3 migrated, 0 failed/);
    await inspect(db.env, async (q) => expect((await q(`SELECT count(*)::int AS n FROM documents`))[0].n).toBe(5));
  });
});

describe('scripts/migrate-workspace-to-tenant --all with a corrupt file in one workspace', () => {
  it('fails only that workspace, names the file and the workspace, writes nothing for it, and exits 1', async () => {
    const root = installation();
    mkdirSync(join(root, 'broken'));
    cpSync(DEMO, join(root, 'broken'), { recursive: true });
    writeFileSync(join(root, 'broken', 'kv_store_text_chunks.json'), '{"chunk-1": {"content": ');
    const db = await target();
    try {
      const r = await run(['--working-dir', root, '--all'], db.env);
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/workspace broken → tenant broken: FAILED — workspace broken: .*broken\/kv_store_text_chunks\.json is not valid JSON.*nothing written/);
      expect(r.out).toMatch(/4 workspace\(s\): 3 migrated, 1 failed/);
      await inspect(db.env, async (q) => {
        expect(Object.keys(await docsByTenant(q))).toEqual(['acme', 'default', 'globex']);
        expect(await q(`SELECT 1 FROM tenants WHERE slug = 'broken'`)).toEqual([]);
      });
      const one = await run(['--working-dir', root, '--workspace', 'globex', '--json'], db.env);
      expect(one.code).toBe(0);
      expect(JSON.parse(one.stdout).workspaces).toEqual([expect.objectContaining({ workspace: 'globex', tenant: 'globex', ok: true })]);
    } finally {
      rmSync(root, { recursive: true, force: true });
      await db.done();
    }
  });
});

(process.env.TEST_DATABASE_URL ? describe : describe.skip)('scripts/migrate-workspace-to-tenant --all --pg-url (LIGHTRAG_* tables)', () => {
  it('every workspace value becomes a tenant (empty → default), each with only its rows; a second run is a no-op', async () => {
    const source = await lightragDatabase(async (c) => {
      const rows: Array<[string, string, string, string]> = [
        ['', 'doc-d', 'default.txt', 'The default workspace talks about the Eiffel Tower in Paris.'],
        ['bridges', 'doc-b', 'forth.txt', 'The Forth Bridge crosses the Firth of Forth.'],
        ['canals', 'doc-c1', 'panama.txt', 'The Panama Canal links the Atlantic and the Pacific.'],
        ['canals', 'doc-c2', 'suez.txt', 'The Suez Canal links the Mediterranean and the Red Sea.'],
      ];
      for (const [w, id, file, text] of rows) {
        await c.query(`INSERT INTO LIGHTRAG_DOC_FULL VALUES ($1, $2, $3, $4, '{}')`, [id, w, file, text]);
        await c.query(`INSERT INTO LIGHTRAG_DOC_CHUNKS VALUES ($1, $2, $3, 0, 12, $4, $5)`, [`chunk-${id}`, w, id, text, file]);
      }
      await c.query(`INSERT INTO LIGHTRAG_VDB_ENTITY VALUES ('e1', 'bridges', 'Forth Bridge', E'Forth Bridge\\nA bridge.', '{chunk-doc-b}', 'forth.txt'),
                                                      ('e2', 'canals', 'Panama Canal', E'Panama Canal\\nA canal.', '{chunk-doc-c1}', 'panama.txt'),
                                                      ('e3', 'canals', 'Suez Canal', E'Suez Canal\\nA canal.', '{chunk-doc-c2}', 'suez.txt')`);
      await c.query(
        `INSERT INTO LIGHTRAG_VDB_RELATION VALUES ('r1', 'canals', 'Panama Canal', 'Suez Canal', E'canal\\tPanama Canal\\nSuez Canal\\nBoth are canals.', '{chunk-doc-c1}', 'panama.txt')`,
      );
    });
    const db = await target();
    try {
      const r = await run(['--pg-url', source.url, '--all', '--json'], db.env);
      expect(r.code).toBe(0);
      const ws = byWorkspace(JSON.parse(r.stdout));
      expect(Object.keys(ws)).toEqual(['', 'bridges', 'canals']);
      expect(ws[''].tenant).toBe('default');
      expect(ws.canals.summary.counts).toMatchObject({
        documents: { found: 2, imported: 2 },
        chunks: { found: 2, imported: 2 },
        entities: { found: 2, imported: 2 },
        relations: { found: 1, imported: 1 },
      });
      await inspect(db.env, async (q) => {
        expect(await docsByTenant(q)).toEqual({ bridges: ['forth.txt'], canals: ['panama.txt', 'suez.txt'], default: ['default.txt'] });
        expect((await q(`SELECT count(*)::int AS n FROM users`))[0].n).toBe(0);
      });
      const again = await run(['--pg-url', source.url, '--all', '--json'], db.env);
      expect(again.code).toBe(0);
      for (const w of JSON.parse(again.stdout).workspaces) expect(w.summary.counts.documents.imported).toBe(0);
      const one = await run(['--pg-url', source.url, '--workspace', 'bridges', '--dry-run', '--json'], db.env);
      expect(JSON.parse(one.stdout).workspaces[0].summary.counts.documents).toEqual({ found: 1, imported: 0, already_present: 1, skipped: 0 });
    } finally {
      await source.drop();
      await db.done();
    }
  });
});
