import { Module } from '@nestjs/common';
import { ComputeModule } from '../compute/compute.module';
import { KnowledgeBasesModule } from '../knowledge-bases/knowledge-bases.module';
import { MetricsModule } from '../metrics/metrics.module';
import { EngineModule } from '../engine/engine.module';
import { UsageModule } from '../usage/usage.module';
import { ThrottlingModule } from '../throttling/throttling.module';
import { DocumentsController } from './documents.controller';
import { DocumentsRepository } from './documents.repository';
import { DocumentsService } from './documents.service';
import { DocumentParser } from './parsers/document-parser';

/** The documents routes; ingestion goes through the engine's DocumentIngestion. */
@Module({
  imports: [EngineModule, UsageModule, ComputeModule, KnowledgeBasesModule, MetricsModule, ThrottlingModule],
  controllers: [DocumentsController],
  providers: [DocumentsRepository, DocumentsService, DocumentParser],
  exports: [DocumentsRepository, DocumentsService, DocumentParser],
})
export class DocumentsModule {}
