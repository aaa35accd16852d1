import { Module } from '@nestjs/common';
import { EngineModule } from '../../engine/engine.module';
import { ModelProviders } from './model-providers';

/** Provides ModelProviders; its ports (UsageSink, EngineMetrics, TenantLlmKeys) come from EngineModule. */
@Module({ imports: [EngineModule], providers: [ModelProviders], exports: [ModelProviders] })
export class ProvidersModule {}
