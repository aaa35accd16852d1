import type { Db } from '../database/database.service';

/**
 * Per-tenant document quotas (MAX_DOCUMENTS, MAX_STORAGE_GB and the tenant's
 * overrides). Called inside the transaction that inserts the documents, so a
 * refused request writes nothing. Throws AppException('QUOTA_EXCEEDED', …).
 */
export abstract class DocumentQuota {
  abstract assertCanAdd(db: Db, tenantId: string, documents: number, bytes: number): Promise<void>;
}
