import { Module } from '@nestjs/common';
import { KnowledgeBasesModule } from '../knowledge-bases/knowledge-bases.module';
import { GraphController } from './graph.controller';
import { GraphRepository } from './graph.repository';
import { GraphService } from './graph.service';

@Module({
  imports: [KnowledgeBasesModule],
  controllers: [GraphController],
  providers: [GraphRepository, GraphService],
  exports: [GraphService],
})
export class GraphModule {}
