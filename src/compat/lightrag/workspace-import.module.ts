import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { ClsModule } from 'nestjs-cls';
import { LoggingModule } from '../../common/logging.module';
import { AppConfigModule } from '../../config/app-config.module';
import { Settings } from '../../config/app-config';
import { ContextModule } from '../../context/context.module';
import { DatabaseModule } from '../../database/database.module';
import { CompatModule } from '../compat.module';

/**
 * What scripts/migrate-workspace-to-tenant boots instead of AppModule: config,
 * the database, the request context and the importer with its dependencies.
 * No AuthModule (so no platform-admin bootstrap and no generated password), no
 * HTTP server; the caller sets WORKER_CONCURRENCY=0 so no ingestion worker runs.
 */
@Module({})
export class WorkspaceImportModule {
  static forRoot(settings: Settings): DynamicModule {
    return {
      module: WorkspaceImportModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => ({ settings })] }),
        AppConfigModule,
        LoggingModule.forRoot(settings),
        ClsModule.forRoot({ global: true }),
        DatabaseModule,
        ContextModule,
        CompatModule,
      ],
    };
  }
}
