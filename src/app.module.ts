import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import { ClsModule } from 'nestjs-cls';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { CompatModule } from './compat/compat.module';
import { LightragApiModule } from './compat/lightrag/api/lightrag-api.module';
import { compatErrorHandler } from './compat/lightrag/api/lightrag-errors';
import { AuthModule } from './auth/auth.module';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { EnvelopeInterceptor } from './common/envelope.interceptor';
import { AppConfigModule } from './config/app-config.module';
import { Settings } from './config/app-config';
import { DatabaseModule } from './database/database.module';
import { ContextModule } from './context/context.module';
import { HealthModule } from './health/health.module';
import { KnowledgeBasesModule } from './knowledge-bases/knowledge-bases.module';
import { LoggingModule } from './common/logging.module';
import { TenantsModule } from './tenants/tenants.module';
import { UsersModule } from './users/users.module';
import { DocumentsModule } from './documents/documents.module';
import { EngineModule } from './engine/engine.module';
import { QueriesModule } from './queries/queries.module';
import { GraphModule } from './graph/graph.module';
import { AuditModule } from './audit/audit.module';
import { MetricsModule } from './metrics/metrics.module';
import { UsageModule } from './usage/usage.module';
import { ThrottlingModule } from './throttling/throttling.module';

/**
 * Imports the feature modules, nothing else. Global: config, database and the
 * request context (ContextModule); every other module imports what it uses.
 * The one APP_GUARD is AuthModule's AccessGuard (rate limiting is its last step).
 */
@Module({})
export class AppModule {
  static forRoot(settings: Settings): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => ({ settings })] }),
        AppConfigModule,
        LoggingModule.forRoot(settings),
        // No proxy providers here: resolving them per request did a dynamic require() on every request.
        ClsModule.forRoot({
          global: true,
          middleware: { mount: true, generateId: true, idGenerator: (req: { id?: string }) => String(req.id ?? ''), resolveProxyProviders: false },
        }),
        DatabaseModule,
        ContextModule,
        AuthModule,
        TenantsModule,
        KnowledgeBasesModule,
        ApiKeysModule,
        UsersModule,
        MetricsModule,
        AuditModule,
        UsageModule,
        ThrottlingModule,
        EngineModule,
        DocumentsModule,
        QueriesModule,
        CompatModule,
        GraphModule,
        HealthModule,
        ...(settings.lightragCompatPrefix ? [LightragApiModule.at(settings.lightragCompatPrefix)] : []),
      ],
      providers: [
        { provide: APP_FILTER, useFactory: () => new AllExceptionsFilter(compatErrorHandler(settings)) },
        { provide: APP_INTERCEPTOR, useClass: EnvelopeInterceptor },
      ],
    };
  }
}
