import { Injectable } from '@nestjs/common';
import { AppException } from '../common/app-exception';
import { AppConfig } from '../config/app-config';
import type { Db } from '../database/database.service';
import { MetricsService } from '../metrics/metrics.service';
import { DocumentQuota } from './document-quota';
import { ThrottlingRepository } from './throttling.repository';

const GB = 1024 ** 3;
/** A quota frees up only when documents are deleted or the limit is raised; an hour is an honest hint. */
const QUOTA_RETRY_AFTER_S = 3600;

/**
 * MAX_DOCUMENTS and MAX_STORAGE_GB per tenant, or the tenant's own limits
 * (tenants.settings.limits.max_documents / max_storage_gb, set by the admin).
 * Runs inside the transaction that inserts the documents and takes a
 * per-tenant advisory lock first, so two concurrent uploads cannot both slip
 * under the limit; a refusal rolls the whole transaction back.
 */
@Injectable()
export class DocumentQuotaService extends DocumentQuota {
  constructor(
    private readonly config: AppConfig,
    private readonly metrics: MetricsService,
    private readonly repo: ThrottlingRepository,
  ) {
    super();
  }

  async assertCanAdd(db: Db, tenantId: string, documents: number, bytes: number): Promise<void> {
    await this.repo.lockTenantQuota(db, tenantId);
    const limits = await this.repo.limits(db, tenantId);
    const maxDocuments = typeof limits.max_documents === 'number' ? limits.max_documents : this.config.settings.maxDocuments;
    const maxStorageGb = typeof limits.max_storage_gb === 'number' ? limits.max_storage_gb : this.config.settings.maxStorageGb;
    const { count, bytes: stored } = await this.repo.storedDocuments(db, tenantId);
    const headers = { 'Retry-After': String(QUOTA_RETRY_AFTER_S) };
    if (count + documents > maxDocuments) {
      this.metrics.quotaExceeded.inc({ tenant_id: tenantId, quota: 'documents' });
      throw new AppException(
        'QUOTA_EXCEEDED',
        `This tenant may hold at most ${maxDocuments} documents; it has ${count}, so ${documents} more would exceed the quota. Delete documents or ask the admin to raise max_documents.`,
        undefined,
        headers,
      );
    }
    if (stored + bytes > maxStorageGb * GB) {
      this.metrics.quotaExceeded.inc({ tenant_id: tenantId, quota: 'storage' });
      throw new AppException(
        'QUOTA_EXCEEDED',
        `This tenant may store at most ${maxStorageGb} GB of documents; ${formatBytes(stored)} are stored and ${formatBytes(bytes)} more would exceed the quota. Delete documents or ask the admin to raise max_storage_gb.`,
        undefined,
        headers,
      );
    }
  }
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < GB) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / GB).toFixed(2)} GB`;
}
