import { Module } from '@nestjs/common';
import { EngineModule } from '../engine/engine.module';
import { QueriesController } from './queries.controller';
import { QueriesService } from './queries.service';

@Module({
  imports: [EngineModule],
  controllers: [QueriesController],
  providers: [QueriesService],
})
export class QueriesModule {}
