import { Global, Logger, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { openDatabase, OpenedDatabase, runMigrations } from './data-source.factory';
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
        const { databaseUrl, dataDir, databasePoolSize } = config.settings;
        const db = await openDatabase({ databaseUrl, dataDir, poolSize: databasePoolSize });
        logger.log(db.kind === 'pglite' ? `embedded PostgreSQL (PGlite) in ${dataDir}` : 'PostgreSQL server from DATABASE_URL');
        const ran = await runMigrations(db.dataSource);
        if (ran.length) logger.log(`applied migrations: ${ran.join(', ')}`);
        return db;
      },
    },
    { provide: DatabaseService, inject: [OPENED_DATABASE], useFactory: (db: OpenedDatabase) => new DatabaseService(db) },
  ],
  exports: [DatabaseService],
})
export class DatabaseModule {}
