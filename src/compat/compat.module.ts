import { Module } from '@nestjs/common';
import { ProvidersModule } from '../rag/providers/providers.module';
import { KnowledgeBasesModule } from '../knowledge-bases/knowledge-bases.module';
import { RagModule } from '../rag/rag.module';
import { TenantsModule } from '../tenants/tenants.module';
import { WorkspaceImporter } from './lightrag/workspace-importer.service';

/** The LightRAG-compatible surface: importing LightRAG workspaces into tenants. */
@Module({
  imports: [RagModule, ProvidersModule, TenantsModule, KnowledgeBasesModule],
  providers: [WorkspaceImporter],
  exports: [WorkspaceImporter],
})
export class CompatModule {}
