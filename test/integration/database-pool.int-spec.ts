import type { Pool } from 'pg';
import { openDatabase, OpenedDatabase } from '../../src/database/data-source.factory';
import { freshDatabase, TestDatabase } from '../support/test-db';

/**
 * DATABASE_POOL_IDLE_MS reaches node-postgres' pool (server only: PGlite has one in-process
 * connection): an idle connection is kept for that long, then closed. node-postgres' own
 * default (10 s) made every quiet spell cost the next queries a new backend
 * (bench/RESULTS.md, issue 14).
 */
const onServer = process.env.TEST_DATABASE_URL ? describe : describe.skip;

onServer('database pool idle timeout (DATABASE_POOL_IDLE_MS)', () => {
  let database: TestDatabase;
  const opened: OpenedDatabase[] = [];
  const poolOf = (db: OpenedDatabase) => (db.dataSource.driver as unknown as { master: Pool }).master;
  const open = async (idleMs?: number) => {
    const db = await openDatabase({ databaseUrl: database.url, dataDir: 'unused', poolSize: 2, idleMs });
    opened.push(db);
    return db;
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  beforeAll(async () => {
    database = await freshDatabase();
  });
  afterAll(async () => {
    for (const db of opened) await db.close();
    await database.drop();
  });

  it('keeps an idle connection by default (300 s) and closes it after a short DATABASE_POOL_IDLE_MS', async () => {
    const kept = await open();
    const short = await open(200);
    expect(poolOf(kept).options.idleTimeoutMillis).toBe(300_000);
    expect(poolOf(short).options.idleTimeoutMillis).toBe(200);
    await kept.dataSource.query('SELECT 1');
    await short.dataSource.query('SELECT 1');
    // Both pools hold one connection after their query; only the short one's is closed when idle.
    for (let i = 0; i < 100 && poolOf(short).totalCount > 0; i++) await sleep(50);
    expect(poolOf(short).totalCount).toBe(0);
    expect(poolOf(kept).totalCount).toBeGreaterThanOrEqual(1);
    expect(poolOf(kept).idleCount).toBe(poolOf(kept).totalCount);
  });
});
