import { Module } from '@nestjs/common';
import { TenantsModule } from '../tenants/tenants.module';
import { KnowledgeBasesController } from './knowledge-bases.controller';
import { KnowledgeBasesRepository } from './knowledge-bases.repository';
import { KnowledgeBasesService } from './knowledge-bases.service';

@Module({
  imports: [TenantsModule],
  controllers: [KnowledgeBasesController],
  providers: [KnowledgeBasesRepository, KnowledgeBasesService],
  exports: [KnowledgeBasesService, KnowledgeBasesRepository],
})
export class KnowledgeBasesModule {}
