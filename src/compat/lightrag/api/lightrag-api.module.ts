import { DynamicModule, Module } from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { AuthModule } from '../../../auth/auth.module';
import { GraphModule } from '../../../graph/graph.module';
import { EngineModule } from '../../../engine/engine.module';
import { UsageModule } from '../../../usage/usage.module';
import { DocumentsModule } from '../../../documents/documents.module';
import { LightragDocumentsController } from './lightrag-documents.controller';
import { LightragDocumentsService } from './lightrag-documents.service';
import { LightragExceptionFilter, OllamaExceptionFilter, QueryDataExceptionFilter } from './lightrag-errors';
import { LightragOllamaController } from './lightrag-ollama.controller';
import { LightragOllamaService } from './lightrag-ollama.service';
import { LightragQueryController } from './lightrag-query.controller';
import { LightragQueryService } from './lightrag-query.service';
import { LightragHeadersInterceptor } from './lightrag-route';
import { LightragServerController } from './lightrag-server.controller';
import { LightragGraphController } from './lightrag-graph.controller';
import { TokenRenewal } from './token-renewal';
import { WorkspaceResolver } from './workspace-resolver';
import { WorkspaceRepository } from './workspace.repository';

/**
 * The LightRAG-compatible API (ADR 007): LightRAG 1.4.16's routes and shapes
 * under LIGHTRAG_COMPAT_PREFIX, each request routed to a KB of the caller's own
 * tenant by WorkspaceResolver and then handled by the same services as the
 * native /api/v1 routes, behind the same global AccessGuard.
 */
@Module({
  imports: [AuthModule, JwtModule.register({}), GraphModule, EngineModule, UsageModule, DocumentsModule],
  controllers: [LightragServerController, LightragGraphController, LightragOllamaController, LightragDocumentsController, LightragQueryController],
  providers: [
    WorkspaceRepository,
    WorkspaceResolver,
    LightragOllamaService,
    LightragDocumentsService,
    LightragQueryService,
    LightragExceptionFilter,
    TokenRenewal,
    OllamaExceptionFilter,
    QueryDataExceptionFilter,
    LightragHeadersInterceptor,
  ],
})
export class LightragApiModule {
  /** Served at `prefix` ("/lightrag"); not imported at all when LIGHTRAG_COMPAT_PREFIX is off. */
  static at(prefix: string): DynamicModule {
    return { module: LightragApiModule, imports: [RouterModule.register([{ path: prefix, module: LightragApiModule }])] };
  }
}
