import { Global, Module } from '@nestjs/common';
import { UsageRecorder } from './usage-recorder';
import { UsageController } from './usage.controller';
import { UsageRepository } from './usage.repository';
import { UsageService } from './usage.service';

/** Usage and cost; UsageRecorder and UsageService are global. */
@Global()
@Module({
  controllers: [UsageController],
  providers: [
    UsageRepository,
    UsageService,
    { provide: UsageRecorder, useExisting: UsageService },
  ],
  exports: [UsageRecorder, UsageService],
})
export class UsageModule {}
