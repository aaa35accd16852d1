import { Global, Logger, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { openDatabase, OpenedDatabase, readerSources, runMigrations } from './data-source.factory';
import { DatabaseService } from './database.service';

export const OPENED_DATABASE = Symbol('OPENED_DATABASE');

@Global()
@Module({
  providers: [
    {
      provide: OPENED_DATABASE,
      inject: [AppConfig],
      useFactory: async (config: AppConfig): Promise<OpenedDatabase> => {
        const logger = new Logger('Database');
        const { databaseUrl, migrationDatabaseUrl, dataDir, databasePoolSize, databasePoolIdleMs, databaseConnectTimeoutMs, databaseReadUrl, pgliteTemplate } = config.settings;
        if (migrationDatabaseUrl) {
          // Least privilege: the schema owner migrates over its own short-lived connection;
          // DATABASE_URL may then be a login role that only holds strata_app and strata_platform.
          const owner = await openDatabase({ databaseUrl: migrationDatabaseUrl, dataDir, poolSize: 1 });
          try {
            const ran = await runMigrations(owner.dataSource);
            if (ran.length) logger.log(`applied migrations (MIGRATION_DATABASE_URL): ${ran.join(', ')}`);
          } finally {
            await owner.close();
          }
        }
        const db = await openDatabase({
          databaseUrl,
          dataDir,
          poolSize: databasePoolSize,
          connectTimeoutMs: databaseConnectTimeoutMs,
          idleMs: databasePoolIdleMs,
          template: pgliteTemplate,
        });
        logger.log(db.kind === 'pglite' ? `embedded PostgreSQL (PGlite) in ${dataDir}` : 'PostgreSQL server from DATABASE_URL');
        if (!migrationDatabaseUrl) {
          const ran = await runMigrations(db.dataSource);
          if (ran.length) logger.log(`applied migrations: ${ran.join(', ')}`);
        }
        if (!databaseReadUrl.length) return db;
        const readers = readerSources(databaseReadUrl, databasePoolSize, databaseConnectTimeoutMs, databasePoolIdleMs);
        logger.log(`${readers.length} read replica(s) from DATABASE_READ_URL serve queries, graph reads and document lists`);
        return {
          ...db,
          readers,
          close: async () => {
            await Promise.allSettled(readers.filter((r) => r.isInitialized).map((r) => r.destroy()));
            await db.close();
          },
        };
      },
    },
    { provide: DatabaseService, inject: [OPENED_DATABASE], useFactory: (db: OpenedDatabase) => new DatabaseService(db) },
  ],
  exports: [DatabaseService],
})
export class DatabaseModule {}
