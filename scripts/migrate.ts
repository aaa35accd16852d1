/**
 * Applies pending migrations and exits: `npm run migration:run`.
 * Uses MIGRATION_DATABASE_URL (the schema owner) when set, else DATABASE_URL, or the embedded database in DATA_DIR (stop the server
 * first: PGlite serves one process at a time).
 */
import 'reflect-metadata';
import { parseSettings } from '../src/config/app-config';
import { openDatabase, runMigrations } from '../src/database/data-source.factory';

async function main(): Promise<void> {
  const settings = parseSettings(process.env);
  const db = await openDatabase({ databaseUrl: settings.migrationDatabaseUrl ?? settings.databaseUrl, dataDir: settings.dataDir });
  try {
    const ran = await runMigrations(db.dataSource);
    process.stdout.write(ran.length ? `applied: ${ran.join(', ')}\n` : 'database is up to date\n');
  } finally {
    await db.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`migration failed: ${(err as Error).message}\n`);
  process.exit(1);
});
