import { Injectable } from '@nestjs/common';
import type { Db } from '../../database/database.service';

/** SQL for tenant_llm_keys (one row per tenant: the encrypted key and its last four characters). */
@Injectable()
export class TenantLlmKeysRepository {
  async ciphertext(db: Db, tenantId: string): Promise<string | undefined> {
    return (await db.one<{ ciphertext: string }>(`SELECT ciphertext FROM tenant_llm_keys WHERE tenant_id = $1`, [tenantId]))?.ciphertext;
  }

  status(db: Db, tenantId: string): Promise<{ key_suffix: string; updated_at: Date } | undefined> {
    return db.one(`SELECT key_suffix, updated_at FROM tenant_llm_keys WHERE tenant_id = $1`, [tenantId]);
  }

  async upsert(db: Db, tenantId: string, ciphertext: string, suffix: string): Promise<void> {
    await db.exec(
      `INSERT INTO tenant_llm_keys (tenant_id, ciphertext, key_suffix) VALUES ($1, $2, $3)
       ON CONFLICT (tenant_id) DO UPDATE SET ciphertext = EXCLUDED.ciphertext, key_suffix = EXCLUDED.key_suffix, updated_at = now()`,
      [tenantId, ciphertext, suffix],
    );
  }

  async remove(db: Db, tenantId: string): Promise<void> {
    await db.exec(`DELETE FROM tenant_llm_keys WHERE tenant_id = $1`, [tenantId]);
  }
}
