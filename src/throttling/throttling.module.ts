import { Global, Module } from '@nestjs/common';
import { DocumentQuota } from './document-quota';
import { DocumentQuotaService } from './document-quota.service';

/** Per-tenant rate limits and quotas. */
@Global()
@Module({
  providers: [DocumentQuotaService, { provide: DocumentQuota, useExisting: DocumentQuotaService }],
  exports: [DocumentQuota],
})
export class ThrottlingModule {}
