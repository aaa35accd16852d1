import { Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module';
import { ModelBudgetGuard } from './model-budget';
import { UsageController } from './usage.controller';
import { UsageRepository } from './usage.repository';
import { UsageService } from './usage.service';

/**
 * Usage and cost, and the monthly model budget (UsageService.assertAvailable,
 * ModelBudgetGuard). Imported where used: the engine's ports (usage sink and
 * model budget) and the controllers whose routes call a model.
 */
@Module({
  imports: [MetricsModule],
  controllers: [UsageController],
  providers: [UsageRepository, UsageService, ModelBudgetGuard],
  exports: [UsageService, ModelBudgetGuard],
})
export class UsageModule {}
