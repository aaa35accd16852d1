import { Module } from '@nestjs/common';
import { EngineModule } from '../engine/engine.module';
import { UsageModule } from '../usage/usage.module';
import { QueriesController } from './queries.controller';
import { QueriesService } from './queries.service';

@Module({
  imports: [EngineModule, UsageModule],
  controllers: [QueriesController],
  providers: [QueriesService],
})
export class QueriesModule {}
