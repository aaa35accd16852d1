import { existsSync } from 'node:fs';
import type { Settings } from './settings';
import { Env, EnvRule, IsIntegerEnv, IsUrlEnv, parseNumber, Secret } from './env.decorators';

const POSTGRES = ['postgres:', 'postgresql:'];

function splitUrls(raw: string): string[] {
  return raw
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
}

/** The database: a PostgreSQL server (DATABASE_URL) or the embedded PGlite in DATA_DIR. */
export class DatabaseEnv {
  @Env() @Secret() @IsUrlEnv(POSTGRES) DATABASE_URL?: string;
  /**
   * A privileged (schema-owning) connection used only to apply migrations at
   * start-up, so DATABASE_URL can be a least-privilege login role.
   */
  @Env()
  @Secret()
  @IsUrlEnv(POSTGRES)
  @EnvRule('needsDatabaseUrl', (_raw, args) => ((args.object as DatabaseEnv).DATABASE_URL === undefined ? 'needs DATABASE_URL (the embedded database has a single user)' : null))
  MIGRATION_DATABASE_URL?: string;
  /** Comma-separated PostgreSQL streaming replicas for the query path and document lists (writes stay on DATABASE_URL). */
  @Env()
  @Secret()
  @EnvRule('readUrls', (raw, args) => {
    if ((args.object as DatabaseEnv).DATABASE_URL === undefined) return 'needs DATABASE_URL (the replicas must follow a PostgreSQL server)';
    for (const u of splitUrls(raw)) {
      if (!POSTGRES.includes(URL.canParse(u) ? new URL(u).protocol : '')) return 'must be comma-separated postgres:// URLs';
    }
    return splitUrls(raw).length ? null : 'must name at least one postgres:// URL';
  })
  DATABASE_READ_URL?: string;
  @Env() @IsIntegerEnv(1, 1000) DATABASE_POOL_SIZE?: string;
  @Env() @IsIntegerEnv(100, 600_000) DATABASE_CONNECT_TIMEOUT_MS?: string;
  /**
   * How long a pooled connection may sit idle before the pool closes it (0: never). A new
   * connection is a new PostgreSQL backend, which pays for its first touch of every shared
   * page it reads (an exact scan of 5 694 relations: 139 ms on its first run, 10 ms after),
   * so quiet spells shorter than this do not cost the next queries.
   */
  @Env() @IsIntegerEnv(0, 86_400_000) DATABASE_POOL_IDLE_MS?: string;
  @Env() DATA_DIR?: string;
  /**
   * A PGlite data directory dump (`dumpDataDir`, an uncompressed tar) that an
   * in-memory database (DATA_DIR=memory://) starts from instead of running
   * initdb, which costs 2–8 s: the test runs make one per run.
   */
  @Env()
  @EnvRule('pgliteTemplate', (raw, args) => {
    if (!((args.object as DatabaseEnv).DATA_DIR ?? '').startsWith('memory://')) return 'is only for DATA_DIR=memory:// (an in-memory database)';
    return existsSync(raw) ? null : `names no file (${raw})`;
  })
  PGLITE_TEMPLATE?: string;

  toSettings(): Pick<
    Settings,
    'databaseUrl' | 'migrationDatabaseUrl' | 'databaseReadUrl' | 'databasePoolSize' | 'databasePoolIdleMs' | 'databaseConnectTimeoutMs' | 'dataDir' | 'pgliteTemplate'
  > {
    return {
      databaseUrl: this.DATABASE_URL ?? null,
      databaseReadUrl: this.DATABASE_READ_URL ? splitUrls(this.DATABASE_READ_URL) : [],
      migrationDatabaseUrl: this.MIGRATION_DATABASE_URL ?? null,
      databasePoolSize: parseNumber(this.DATABASE_POOL_SIZE, 10),
      databasePoolIdleMs: parseNumber(this.DATABASE_POOL_IDLE_MS, 300_000),
      databaseConnectTimeoutMs: parseNumber(this.DATABASE_CONNECT_TIMEOUT_MS, 10_000),
      dataDir: this.DATA_DIR ?? './data',
      pgliteTemplate: this.PGLITE_TEMPLATE ?? null,
    };
  }
}
