import { Module, Provider } from '@nestjs/common';
import { KnowledgeBasesModule } from '../knowledge-bases/knowledge-bases.module';
import { KnowledgeBasesService } from '../knowledge-bases/knowledge-bases.service';
import { MetricsModule } from '../metrics/metrics.module';
import { MetricsService } from '../metrics/metrics.service';
import { EngineMetrics, KnowledgeBaseLookup, ModelBudget, TenantLlmKeys, UsageSink } from '../rag/ports';
import { RagModule } from '../rag/rag.module';
import { TenantLlmKeysModule } from '../tenants/llm-keys/tenant-llm-keys.module';
import { TenantLlmKeysService } from '../tenants/llm-keys/tenant-llm-keys.service';
import { UsageModule } from '../usage/usage.module';
import { UsageService } from '../usage/usage.service';

/**
 * `port` answered by the feature service `impl`. The signature makes the
 * compiler check that the service has every member the port declares, which
 * a bare `{ provide, useExisting }` would not.
 */
function bind<P>(port: abstract new (...args: never[]) => P, impl: new (...args: never[]) => P): Provider {
  return { provide: port, useExisting: impl };
}

const PORTS = [UsageSink, ModelBudget, EngineMetrics, KnowledgeBaseLookup, TenantLlmKeys];

/** Each engine port bound to the feature service that implements it. */
@Module({
  imports: [UsageModule, MetricsModule, KnowledgeBasesModule, TenantLlmKeysModule],
  providers: [
    bind(UsageSink, UsageService),
    bind(ModelBudget, UsageService),
    bind(EngineMetrics, MetricsService),
    bind(KnowledgeBaseLookup, KnowledgeBasesService),
    bind(TenantLlmKeys, TenantLlmKeysService),
  ],
  exports: PORTS,
})
export class EnginePortsModule {}

/**
 * The RAG engine wired to the features: the engine declares what it needs as
 * ports (src/rag/ports.ts) and never imports a feature module; this module
 * imports the features, binds each port to the service that implements it
 * (EnginePortsModule) and hands them to RagModule. Features that use the
 * engine (queries, documents, compat) import this module; a port left
 * unbound fails at boot.
 */
@Module({
  imports: [RagModule.withPorts(EnginePortsModule)],
  exports: [RagModule],
})
export class EngineModule {}
