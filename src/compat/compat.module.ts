import { Module } from '@nestjs/common';
import { DocumentsModule } from '../documents/documents.module';
import { EngineModule } from '../engine/engine.module';
import { KnowledgeBasesModule } from '../knowledge-bases/knowledge-bases.module';
import { TenantsModule } from '../tenants/tenants.module';
import { WorkspaceImporter } from './lightrag/workspace-importer.service';

/** The LightRAG-compatible surface: importing LightRAG workspaces into tenants. */
@Module({
  imports: [EngineModule, DocumentsModule, TenantsModule, KnowledgeBasesModule],
  providers: [WorkspaceImporter],
  exports: [WorkspaceImporter],
})
export class CompatModule {}
