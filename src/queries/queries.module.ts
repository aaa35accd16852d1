import { Module } from '@nestjs/common';
import { RagModule } from '../rag/rag.module';
import { QueriesController } from './queries.controller';

@Module({
  imports: [RagModule],
  controllers: [QueriesController],
})
export class QueriesModule {}
