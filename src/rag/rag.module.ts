import { Module } from '@nestjs/common';
import { ComputeModule } from '../compute/compute.module';
import { EngineModule } from '../engine/engine.module';
import { EmbeddingDimCheck } from './embedding-dim.check';
import { DocumentIngestion } from './ingestion/document-ingestion';
import { IngestedDocumentsRepository } from './ingestion/ingested-documents.repository';
import { IngestionService } from './ingestion/ingestion.service';
import { IngestionWorker } from './ingestion/ingestion.worker';
import { JobQueueRepository } from './ingestion/job-queue.repository';
import { ProvidersModule } from './providers/providers.module';
import { RagInstanceFactory } from './rag-instance.factory';
import { QueryEngine } from './retrieval/query-engine';
import { RetrievalRepository } from './retrieval/retrieval.repository';
import { ChunkStagingRepository } from './storage/chunk-staging.repository';
import { GraphStoreRepository } from './storage/graph-store.repository';
import { PlannerStatistics } from './storage/planner-statistics';

/**
 * The engine: instance factory, ingestion queue and worker, storage and
 * retrieval. What it needs from the features comes through its ports
 * (./ports.ts), bound in EngineModule. Features use QueryEngine (queries)
 * and DocumentIngestion (documents).
 */
@Module({
  imports: [EngineModule, ProvidersModule, ComputeModule],
  providers: [
    EmbeddingDimCheck,
    RagInstanceFactory,
    IngestedDocumentsRepository,
    JobQueueRepository,
    GraphStoreRepository,
    ChunkStagingRepository,
    RetrievalRepository,
    IngestionService,
    IngestionWorker,
    DocumentIngestion,
    QueryEngine,
    PlannerStatistics,
  ],
  exports: [QueryEngine, DocumentIngestion, GraphStoreRepository],
})
export class RagModule {}
