import { Global, Module } from '@nestjs/common';
import { TenantsRepository } from '../tenants/tenants.repository';
import { KnowledgeBasesController } from './knowledge-bases.controller';
import { KnowledgeBasesRepository } from './knowledge-bases.repository';
import { KnowledgeBasesService } from './knowledge-bases.service';

@Global()
@Module({
  controllers: [KnowledgeBasesController],
  providers: [KnowledgeBasesRepository, KnowledgeBasesService, TenantsRepository],
  exports: [KnowledgeBasesService, KnowledgeBasesRepository],
})
export class KnowledgeBasesModule {}
