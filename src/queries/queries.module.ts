import { Module } from '@nestjs/common';
import { RagModule } from '../rag/rag.module';
import { QueriesController } from './queries.controller';
import { QueriesService } from './queries.service';

@Module({
  imports: [RagModule],
  controllers: [QueriesController],
  providers: [QueriesService],
})
export class QueriesModule {}
