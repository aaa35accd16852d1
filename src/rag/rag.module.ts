import { Module } from '@nestjs/common';
import { ComputeModule } from '../compute/compute.module';
import { DocumentsRepository } from '../documents/documents.repository';
import { EmbeddingDimCheck } from './embedding-dim.check';
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

/** The engine: instance factory, ingestion queue and worker, storage and retrieval. */
@Module({
  imports: [ProvidersModule, ComputeModule],
  providers: [
    EmbeddingDimCheck,
    RagInstanceFactory,
    DocumentsRepository,
    JobQueueRepository,
    GraphStoreRepository,
    ChunkStagingRepository,
    RetrievalRepository,
    IngestionService,
    IngestionWorker,
    QueryEngine,
    PlannerStatistics,
  ],
  exports: [RagInstanceFactory, DocumentsRepository, JobQueueRepository, GraphStoreRepository, IngestionWorker, QueryEngine, PlannerStatistics],
})
export class RagModule {}
