import { Injectable, Logger } from '@nestjs/common';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AppException } from '../../common/app-exception';
import { createCache, invalidateOn } from '../../common/cache';
import { TenantEvents } from '../../context/tenant-events';
import { iso } from '../../common/text';
import { AppConfig } from '../../config/app-config';
import { DatabaseService } from '../../database/database.service';
import { TenantLlmKeysRepository } from './tenant-llm-keys.repository';

const VERSION = 'v1';
/** Decrypted keys (or their absence) remembered per tenant; a set or remove on this replica forgets at once. */
const CACHE_MS = 30_000;
const CACHE_MAX = 10_000;

export interface LlmKeyStatus {
  configured: boolean;
  key_suffix: string | null;
  updated_at: string | null;
}

/** 32 bytes from ENCRYPTION_KEY: 64 hex characters, or base64 (validated at boot). */
export function encryptionKeyBytes(raw: string): Buffer {
  return /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
}

/**
 * AES-256-GCM with a random 96-bit nonce; the tenant id is the associated
 * data, so a ciphertext copied to another tenant's row does not decrypt.
 * Stored as `v1:<base64(nonce | tag | ciphertext)>`.
 */
export function encryptForTenant(key: Buffer, tenantId: string, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(tenantId));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64')}`;
}

export function decryptForTenant(key: Buffer, tenantId: string, stored: string): string {
  const [version, body] = stored.split(':', 2);
  if (version !== VERSION || !body) throw new Error('unknown ciphertext format');
  const raw = Buffer.from(body, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(tenantId));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}

/**
 * A tenant's own LLM key (bring-your-own-key): stored encrypted, never
 * returned. `getKey` is what the RAG engine's TenantLlmKeys port reads
 * (bound in src/engine/engine.module.ts).
 */
@Injectable()
export class TenantLlmKeysService {
  private readonly logger = new Logger(TenantLlmKeysService.name);
  private readonly cache = createCache<string, { key: string | null }>({ max: CACHE_MAX, ttlMs: CACHE_MS });

  constructor(
    private readonly db: DatabaseService,
    private readonly repo: TenantLlmKeysRepository,
    private readonly config: AppConfig,
    private readonly events: TenantEvents,
  ) {
    invalidateOn(this.cache, events, (e) => (e.type === 'llm_key_changed' || e.type === 'deleted' || e.type === 'purged' ? e.tenantId : null));
  }

  private key(): Buffer | null {
    const raw = this.config.settings.encryptionKey;
    return raw ? encryptionKeyBytes(raw) : null;
  }

  async getKey(tenantId: string): Promise<string | null> {
    const hit = this.cache.get(tenantId);
    if (hit) return hit.key;
    const ciphertext = await this.db.withTenant(tenantId, (db) => this.repo.ciphertext(db, tenantId));
    let value: string | null = null;
    if (ciphertext !== undefined) {
      const key = this.key();
      try {
        if (!key) throw new Error('ENCRYPTION_KEY is not set');
        value = decryptForTenant(key, tenantId, ciphertext);
      } catch (err) {
        // Falling back to the server's key would bill the platform for the tenant's calls: refuse instead.
        this.logger.error({ tenant_id: tenantId, err: (err as Error).message }, 'tenant LLM key cannot be decrypted');
        throw new AppException('CONFLICT', "This tenant's own LLM key cannot be decrypted with the server's ENCRYPTION_KEY; set the key again or remove it.");
      }
    }
    this.cache.set(tenantId, { key: value });
    return value;
  }

  async status(tenantId: string): Promise<LlmKeyStatus> {
    const row = await this.db.withTenant(tenantId, (db) => this.repo.status(db, tenantId));
    return row ? { configured: true, key_suffix: `…${row.key_suffix}`, updated_at: iso(row.updated_at) } : { configured: false, key_suffix: null, updated_at: null };
  }

  async set(tenantId: string, apiKey: string): Promise<LlmKeyStatus> {
    const key = this.key();
    if (!key) throw AppException.conflict('ENCRYPTION_KEY must be set on the server before a tenant LLM key can be stored.');
    const ciphertext = encryptForTenant(key, tenantId, apiKey);
    const suffix = apiKey.slice(-4);
    await this.db.withTenant(tenantId, (db) => this.repo.upsert(db, tenantId, ciphertext, suffix));
    this.events.emit({ type: 'llm_key_changed', tenantId });
    return this.status(tenantId);
  }

  async remove(tenantId: string): Promise<LlmKeyStatus> {
    await this.db.withTenant(tenantId, (db) => this.repo.remove(db, tenantId));
    this.events.emit({ type: 'llm_key_changed', tenantId });
    return { configured: false, key_suffix: null, updated_at: null };
  }
}
