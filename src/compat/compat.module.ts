import { Module } from '@nestjs/common';
import { DocumentsModule } from '../documents/documents.module';
import { ProvidersModule } from '../rag/providers/providers.module';
import { RagModule } from '../rag/rag.module';
import { WorkspaceImporter } from './lightrag/workspace-importer.service';

/** The LightRAG-compatible surface: importing LightRAG workspaces into tenants. */
@Module({
  imports: [RagModule, ProvidersModule, DocumentsModule],
  providers: [WorkspaceImporter],
  exports: [WorkspaceImporter],
})
export class CompatModule {}
