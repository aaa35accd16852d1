import { runMigrations } from '../../src/database/data-source.factory';
import { addTextAndWait, kbPath } from '../support/rag';
import { seedTenant, startTestApp, TestApp } from '../support/test-app';

/**
 * Migration InlineVectors1733100000000 (issue 14): the entity and relation
 * embedding columns are stored PLAIN (inline; chunks keep pgvector's EXTERNAL), on a new
 * database and on an existing one with data, whose earlier rows stay readable
 * next to the inline ones.
 */
describe('inline vectors migration', () => {
  let t: TestApp;
  const storage = async () =>
    Object.fromEntries(
      (
        (await t.db.dataSource.query(
          `SELECT c.relname, a.attstorage FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
           WHERE c.relname IN ('chunks', 'entities', 'relations') AND c.relnamespace = 'public'::regnamespace AND a.attname = 'embedding'`,
        )) as Array<{ relname: string; attstorage: string }>
      ).map((r) => [r.relname, r.attstorage]),
    );

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('stores embeddings inline on a new database, and upgrades an existing one with data', async () => {
    expect(await storage()).toEqual({ chunks: 'e', entities: 'p', relations: 'p' });
    const A = await seedTenant(t, 'Inline tenant');
    const base = kbPath(A.tenantId, A.kbIds[0]);

    // An existing database: the migration undone, a document stored the old way (EXTERNAL).
    const undone = await t.db.dataSource.query(`SELECT name FROM schema_migrations ORDER BY id DESC LIMIT 1`);
    expect(undone[0].name).toBe('InlineVectors1733100000000');
    await t.db.dataSource.undoLastMigration({ transaction: 'each' });
    expect(await storage()).toEqual({ chunks: 'e', entities: 'e', relations: 'e' });
    await addTextAndWait(t.http, A.tenantId, A.kbIds[0], 'Marie Curie discovered polonium and radium in Paris.', 'before.txt', A.key);

    expect(await runMigrations(t.db.dataSource)).toEqual(['InlineVectors1733100000000']);
    expect(await storage()).toEqual({ chunks: 'e', entities: 'p', relations: 'p' });
    await addTextAndWait(t.http, A.tenantId, A.kbIds[0], 'Alan Turing designed the Automatic Computing Engine in London.', 'after.txt', A.key);

    // Rows from before (TOASTed) and after (inline) are searched together, in every vector-searched table.
    for (const [query, file] of [
      ['Marie Curie polonium radium', 'before.txt'],
      ['Alan Turing Automatic Computing Engine', 'after.txt'],
    ]) {
      const q = await t.http.post(`${base}/query`, { query, mode: 'mix', only_need_context: true }, A.key);
      expect(q.status).toBe(200);
      expect(q.body.data.context.chunks[0].file_path).toBe(file);
      expect(q.body.data.context.entities.length).toBeGreaterThan(0);
      expect(q.body.data.context.relations.length).toBeGreaterThan(0);
    }
  });
});
