import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { AppException } from '../common/app-exception';
import { createCache } from '../common/cache';
import { isDatabaseUnavailable } from '../common/error-mapping';
import { OutageLog } from '../common/outage-log';
import { isTenantChange, TenantEvents } from '../context/tenant-events';
import { DatabaseService } from '../database/database.service';
import { AuthRepository } from './auth.repository';
import { hashApiKey, looksLikeApiKey } from './api-key-format';
import { isPermission, Permission } from '../context/permissions';
import { Principal } from '../context/principal';
import { SecretsService } from './secrets.service';
import { AuthFailureReason } from '../context/security-events';

interface CachedKey {
  id: string;
  tenantId: string;
  permissions: ReadonlySet<Permission>;
  kbIds: ReadonlySet<string> | null;
  expiresAt: number | null;
  revoked: boolean;
}

export class AuthFailure extends AppException {
  constructor(
    readonly reason: AuthFailureReason,
    message: string,
  ) {
    super('UNAUTHENTICATED', message);
  }
}

const CACHE_TTL_MS = 5_000;
const CACHE_MAX = 10_000;
const LAST_USED_FLUSH_MS = 30_000;

/**
 * Turns a raw API key into a principal: HMAC lookup by hash, a short-lived
 * in-process cache (5 s; a revocation or tenant change on any replica,
 * announced through TenantEvents, clears the entries at once), and
 * last_used_at written in batches rather than once per request.
 */
@Injectable()
export class ApiKeyAuthenticator implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ApiKeyAuthenticator.name);
  /** Known keys by hash (base64); unknown keys are not cached, so a flood of random keys cannot evict real ones. */
  private readonly cache = createCache<string, CachedKey>({ max: CACHE_MAX, ttlMs: CACHE_TTL_MS });
  private readonly used = new Set<string>();
  private readonly outage = new OutageLog(this.logger, 'API key last_used_at');
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly db: DatabaseService,
    private readonly repo: AuthRepository,
    private readonly secrets: SecretsService,
    events: TenantEvents,
  ) {
    events.subscribe((e) => {
      if (e.type === 'api_key_revoked') this.forgetWhere((k) => k.id === e.keyId);
      // A tenant's suspension or deletion must reach its keys at once (the guard also re-reads the tenant's status).
      else if (isTenantChange(e)) this.forgetWhere((k) => k.tenantId === e.tenantId);
    });
    events.onResync(() => this.forgetAll());
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flushLastUsed(), LAST_USED_FLUSH_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flushLastUsed();
  }

  hash(rawKey: string): Buffer {
    return hashApiKey(rawKey, this.secrets.apiKeyPepper);
  }

  async authenticate(rawKey: string): Promise<Extract<Principal, { kind: 'api_key' }>> {
    if (!looksLikeApiKey(rawKey)) throw new AuthFailure('malformed', 'The API key is malformed.');
    const hash = this.hash(rawKey);
    const cacheKey = hash.toString('base64');
    const entry = await this.cache.getOrLoad(cacheKey, () => this.load(hash));
    if (!entry) throw new AuthFailure('unknown_key', 'The API key is not valid.');
    if (entry.revoked) throw new AuthFailure('revoked', 'The API key has been revoked.');
    if (entry.expiresAt !== null && entry.expiresAt <= Date.now()) throw new AuthFailure('expired', 'The API key has expired.');
    this.used.add(entry.id);
    return { kind: 'api_key', id: entry.id, tenantId: entry.tenantId, permissions: entry.permissions, kbIds: entry.kbIds, expiresAt: entry.expiresAt };
  }

  /** Empties the cache (after a resync; tests use it to act as a replica that has not seen a key yet). */
  forgetAll(): void {
    this.cache.clear();
  }

  private forgetWhere(match: (k: CachedKey) => boolean): void {
    for (const [hash, k] of this.cache.entries()) if (match(k)) this.cache.delete(hash);
  }

  private async load(hash: Buffer): Promise<CachedKey | null> {
    const r = await this.db.withPlatform((db) => this.repo.apiKeyByHash(db, hash));
    if (!r) return null;
    return {
      id: r.id,
      tenantId: r.tenant_id,
      permissions: new Set(r.permissions.filter(isPermission)),
      kbIds: r.kb_ids ? new Set(r.kb_ids) : null,
      expiresAt: r.expires_at ? new Date(r.expires_at).getTime() : null,
      revoked: r.revoked_at !== null,
    };
  }

  async flushLastUsed(): Promise<void> {
    if (this.used.size === 0) return;
    const ids = [...this.used];
    this.used.clear();
    try {
      await this.db.withPlatform((db) => this.repo.touchApiKeys(db, ids));
      this.outage.recovered();
    } catch (err) {
      if (isDatabaseUnavailable(err)) {
        // Keep them for the next flush (at most one entry per key in use).
        for (const id of ids) this.used.add(id);
        this.outage.failed(err, { keys: ids.length });
      } else this.logger.warn({ err }, 'could not record API key last_used_at');
    }
  }
}
