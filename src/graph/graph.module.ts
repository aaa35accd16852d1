import { Module } from '@nestjs/common';
import { KnowledgeBasesModule } from '../knowledge-bases/knowledge-bases.module';
import { RagModule } from '../rag/rag.module';
import { GraphController } from './graph.controller';
import { GraphService } from './graph.service';

@Module({
  imports: [RagModule, KnowledgeBasesModule],
  controllers: [GraphController],
  providers: [GraphService],
})
export class GraphModule {}
