import 'reflect-metadata';
import { mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../migrations';

export interface OpenedDatabase {
  dataSource: DataSource;
  kind: 'pglite' | 'postgres';
  /** Connections to the read replicas (DATABASE_READ_URL), if any; closed by close(). */
  readers?: DataSource[];
  /** Closes the data source and, for PGlite, the embedded engine (flushes it to DATA_DIR). */
  close(): Promise<void>;
}

/** Default bound on waiting for a server connection (DATABASE_CONNECT_TIMEOUT_MS). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * Default idle time before the pool closes a connection (DATABASE_POOL_IDLE_MS), instead of
 * node-postgres' 10 s: a new backend pays for its first touch of every shared page a query
 * reads, so after each quiet spell of 10 s the next queries ran slower (bench/RESULTS.md).
 */
export const DEFAULT_POOL_IDLE_MS = 300_000;

/** Default connections per server pool (DATABASE_POOL_SIZE). */
export const DEFAULT_POOL_SIZE = 10;

/**
 * One DataSource for both engines. Without DATABASE_URL the embedded PGlite
 * (PostgreSQL compiled to WASM, with pgvector) is reached through its own
 * node-postgres adapter, so TypeORM's `postgres` driver and every SQL string
 * are the same on both (ADR 001).
 *
 * On a server, `connectTimeoutMs` bounds both opening a connection and
 * waiting for a free one of the pool (node-postgres' connectionTimeoutMillis
 * covers both), so while the server is down or the pool is exhausted a unit
 * of work fails within it (503 UNAVAILABLE) instead of queueing without end.
 * TCP keepalive lets the pool notice a server that vanished without closing
 * its sockets. A restarted server needs nothing here: the pool drops the
 * connections that broke and opens new ones on demand.
 */
export async function openDatabase(opts: {
  databaseUrl: string | null;
  dataDir: string;
  poolSize?: number;
  connectTimeoutMs?: number;
  idleMs?: number;
  /** With dataDir memory://: a PGlite data-dir dump to start from instead of a fresh initdb (PGLITE_TEMPLATE). */
  template?: string | null;
}): Promise<OpenedDatabase> {
  if (opts.databaseUrl) {
    const dataSource = new DataSource({
      type: 'postgres',
      url: opts.databaseUrl,
      poolSize: opts.poolSize ?? DEFAULT_POOL_SIZE,
      migrations: MIGRATIONS,
      migrationsTableName: 'schema_migrations',
      synchronize: false,
      logging: false,
      extra: {
        connectionTimeoutMillis: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
        idleTimeoutMillis: opts.idleMs ?? DEFAULT_POOL_IDLE_MS,
        keepAlive: true,
        application_name: 'strata',
      },
    });
    await dataSource.initialize();
    return { dataSource, kind: 'postgres', close: () => dataSource.destroy() };
  }
  // PGlite ships as ESM with a CJS build; require keeps this file CommonJS.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { PGlite } = require('@electric-sql/pglite') as typeof import('@electric-sql/pglite');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { vector } = require('@electric-sql/pglite-pgvector') as typeof import('@electric-sql/pglite-pgvector');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createPgConfig } = require('@electric-sql/pglite/node-postgres') as {
    createPgConfig: (pglite: unknown) => { host: string; port: number; user: string; password: string; database: string };
  };
  let dir = opts.dataDir;
  if (!dir.startsWith('memory://')) {
    dir = resolve(dir, 'pglite');
    mkdirSync(dir, { recursive: true });
  }
  const template = dir.startsWith('memory://') && opts.template ? new Blob([readFileSync(opts.template)]) : undefined;
  const pglite = await PGlite.create(dir, { extensions: { vector }, ...(template ? { loadDataDir: template } : {}) });
  const pgConfig = createPgConfig(pglite);
  const dataSource = new DataSource({
    type: 'postgres',
    host: pgConfig.host,
    port: pgConfig.port,
    username: pgConfig.user,
    password: pgConfig.password,
    database: pgConfig.database,
    poolSize: 1,
    extra: pgConfig,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    synchronize: false,
    logging: false,
  });
  await dataSource.initialize();
  return {
    dataSource,
    kind: 'pglite',
    close: async () => {
      await dataSource.destroy();
      await pglite.close();
    },
  };
}

/**
 * Pools on PostgreSQL streaming replicas (DATABASE_READ_URL), not yet
 * connected: DatabaseService connects each on first use and again after a
 * failure, so a replica that is down at start-up does not stop the server
 * (reads go to the primary meanwhile). No migrations: a replica replays the
 * primary's schema.
 */
export function readerSources(urls: string[], poolSize: number, connectTimeoutMs: number, idleMs = DEFAULT_POOL_IDLE_MS): DataSource[] {
  return urls.map(
    (url) =>
      new DataSource({
        type: 'postgres',
        url,
        poolSize,
        synchronize: false,
        logging: false,
        extra: { connectionTimeoutMillis: connectTimeoutMs, idleTimeoutMillis: idleMs, application_name: 'strata-read', keepAlive: true },
      }),
  );
}

export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const ran = await dataSource.runMigrations({ transaction: 'each' });
  return ran.map((m) => m.name);
}
