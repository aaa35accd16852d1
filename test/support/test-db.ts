import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

export interface TestDatabase {
  /** Environment that points the app at this database. */
  env: Record<string, string>;
  /** The URL to open directly (real server only). */
  url: string | null;
  drop(): Promise<void>;
}

/**
 * A fresh database per test file: an in-memory PGlite by default, or a new
 * database on the server named by TEST_DATABASE_URL (dropped afterwards).
 */
export async function freshDatabase(): Promise<TestDatabase> {
  const server = process.env.TEST_DATABASE_URL;
  if (!server) {
    // Started from the run's initdb dump (jest globalSetup) when there is one: 2–8 s less per database.
    const template = process.env.STRATA_TEST_PGLITE_TEMPLATE;
    return { env: { DATA_DIR: 'memory://', ...(template ? { PGLITE_TEMPLATE: template } : {}) }, url: null, drop: async () => undefined };
  }
  const name = `strata_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    env: { DATABASE_URL: url.toString() },
    url: url.toString(),
    drop: async () => {
      const c = new Client({ connectionString: server });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/**
 * A database that outlives one app: PGlite in a temporary DATA_DIR (or a
 * fresh server database), so a test can stop the app and start another on it.
 */
export async function persistentDatabase(): Promise<TestDatabase & { dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-db-'));
  const base = process.env.TEST_DATABASE_URL ? await freshDatabase() : { env: {}, url: null, drop: async () => undefined };
  return {
    dir,
    url: base.url,
    env: { ...base.env, DATA_DIR: dir },
    drop: async () => {
      await base.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
