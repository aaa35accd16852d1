import { DynamicModule, Module, Type } from '@nestjs/common';
import { ComputeModule } from '../compute/compute.module';
import { RagCompute } from './compute/rag-compute';
import { EmbeddingDimCheck } from './embedding-dim.check';
import { DocumentIngestion } from './ingestion/document-ingestion';
import { IngestedDocumentsRepository } from './ingestion/ingested-documents.repository';
import { IngestionService } from './ingestion/ingestion.service';
import { IngestionWorker } from './ingestion/ingestion.worker';
import { JobQueueRepository } from './ingestion/job-queue.repository';
import { ModelProviders } from './providers/model-providers';
import { RagInstanceFactory } from './rag-instance.factory';
import { QueryEngine } from './retrieval/query-engine';
import { RetrievalRepository } from './retrieval/retrieval.repository';
import { ChunkStagingRepository } from './storage/chunk-staging.repository';
import { GraphStoreRepository } from './storage/graph-store.repository';
import { PlannerStatistics } from './storage/planner-statistics';

/**
 * The engine: model providers, instance factory, ingestion queue and worker,
 * storage and retrieval. What it needs from the rest of the server comes
 * through its ports (./ports.ts) from the module given to `withPorts`, which
 * must export every one of them (src/engine/engine.module.ts): the engine
 * imports no feature module. Features use QueryEngine (queries),
 * DocumentIngestion (documents), ModelProviders and GraphStoreRepository
 * (compat's workspace import).
 */
@Module({})
export class RagModule {
  static withPorts(ports: Type<unknown>): DynamicModule {
    return {
      module: RagModule,
      imports: [ports, ComputeModule],
      providers: [
        EmbeddingDimCheck,
        ModelProviders,
        RagCompute,
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
      exports: [QueryEngine, DocumentIngestion, ModelProviders, GraphStoreRepository],
    };
  }
}
