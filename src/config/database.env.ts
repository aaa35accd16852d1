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
  @Env() DATA_DIR?: string;

  toSettings(): Pick<Settings, 'databaseUrl' | 'migrationDatabaseUrl' | 'databaseReadUrl' | 'databasePoolSize' | 'databaseConnectTimeoutMs' | 'dataDir'> {
    return {
      databaseUrl: this.DATABASE_URL ?? null,
      databaseReadUrl: this.DATABASE_READ_URL ? splitUrls(this.DATABASE_READ_URL) : [],
      migrationDatabaseUrl: this.MIGRATION_DATABASE_URL ?? null,
      databasePoolSize: parseNumber(this.DATABASE_POOL_SIZE, 10),
      databaseConnectTimeoutMs: parseNumber(this.DATABASE_CONNECT_TIMEOUT_MS, 10_000),
      dataDir: this.DATA_DIR ?? './data',
    };
  }
}
