import type { Settings } from './settings';
import { Env, EnvRule, IsIntegerEnv, IsUrlEnv, parseNumber, Secret } from './env.decorators';

const POSTGRES = ['postgres:', 'postgresql:'];

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
  @Env() @IsIntegerEnv(1, 1000) DATABASE_POOL_SIZE?: string;
  @Env() @IsIntegerEnv(100, 600_000) DATABASE_CONNECT_TIMEOUT_MS?: string;
  @Env() DATA_DIR?: string;

  toSettings(): Pick<Settings, 'databaseUrl' | 'migrationDatabaseUrl' | 'databasePoolSize' | 'databaseConnectTimeoutMs' | 'dataDir'> {
    return {
      databaseUrl: this.DATABASE_URL ?? null,
      migrationDatabaseUrl: this.MIGRATION_DATABASE_URL ?? null,
      databasePoolSize: parseNumber(this.DATABASE_POOL_SIZE, 10),
      databaseConnectTimeoutMs: parseNumber(this.DATABASE_CONNECT_TIMEOUT_MS, 5000),
      dataDir: this.DATA_DIR ?? './data',
    };
  }
}
