import { Global, Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module';
import { TenantLlmKeys } from '../rag/providers/tenant-llm-keys';
import { TenantLlmKeysController } from './tenant-llm-keys.controller';
import { TenantLlmKeysService } from './tenant-llm-keys.service';
import { ModelBudgetGuard } from './model-budget';
import { UsageRecorder } from './usage-recorder';
import { UsageController } from './usage.controller';
import { UsageRepository } from './usage.repository';
import { UsageService } from './usage.service';

/** Usage and cost, the monthly model budget (UsageService, ModelBudgetGuard) and the tenants' own LLM keys; all global. */
@Global()
@Module({
  imports: [MetricsModule],
  controllers: [UsageController, TenantLlmKeysController],
  providers: [
    UsageRepository,
    UsageService,
    { provide: UsageRecorder, useExisting: UsageService },
    ModelBudgetGuard,
    TenantLlmKeysService,
    { provide: TenantLlmKeys, useExisting: TenantLlmKeysService },
  ],
  exports: [UsageRecorder, UsageService, ModelBudgetGuard, TenantLlmKeys, TenantLlmKeysService],
})
export class UsageModule {}
