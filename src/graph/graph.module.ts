import { Module } from '@nestjs/common';
import { RagModule } from '../rag/rag.module';
import { GraphController } from './graph.controller';
import { GraphService } from './graph.service';

@Module({
  imports: [RagModule],
  controllers: [GraphController],
  providers: [GraphService],
})
export class GraphModule {}
