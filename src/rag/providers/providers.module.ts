import { Module } from '@nestjs/common';
import { MetricsModule } from '../../metrics/metrics.module';
import { ModelProviders } from './model-providers';

/**
 * Provides ModelProviders. AppConfig, MetricsService, UsageRecorder and
 * TenantLlmKeys come from global modules when they are there (the last three
 * are optional).
 */
@Module({ imports: [MetricsModule], providers: [ModelProviders], exports: [ModelProviders] })
export class ProvidersModule {}
