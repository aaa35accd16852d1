import { Module } from '@nestjs/common';
import { TenantLlmKeysController } from './tenant-llm-keys.controller';
import { TenantLlmKeysRepository } from './tenant-llm-keys.repository';
import { TenantLlmKeysService } from './tenant-llm-keys.service';

/** A tenant's own LLM key (bring-your-own-key): the /tenants/:tenantId/llm-key routes and the service the engine reads keys from. */
@Module({
  controllers: [TenantLlmKeysController],
  providers: [TenantLlmKeysRepository, TenantLlmKeysService],
  exports: [TenantLlmKeysService],
})
export class TenantLlmKeysModule {}
