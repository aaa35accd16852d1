import { randomBytes } from 'node:crypto';
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
  if (!server) return { env: { DATA_DIR: 'memory://' }, url: null, drop: async () => undefined };
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
