import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { AppException } from '../common/app-exception';
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
  loadedAt: number;
}

export class AuthFailure extends AppException {
  constructor(readonly reason: AuthFailureReason, message: string) {
    super('UNAUTHENTICATED', message);
  }
}

const CACHE_TTL_MS = 5_000;
const CACHE_MAX = 10_000;
const LAST_USED_FLUSH_MS = 30_000;

/**
 * Turns a raw API key into a principal: HMAC lookup by hash, a short-lived
 * in-process cache (5 s; revocation on this replica clears it at once), and
 * last_used_at written in batches rather than once per request.
 */
@Injectable()
export class ApiKeyAuthenticator implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ApiKeyAuthenticator.name);
  private readonly cache = new Map<string, CachedKey | null>();
  private readonly used = new Set<string>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly db: DatabaseService,
    private readonly repo: AuthRepository,
    private readonly secrets: SecretsService,
  ) {}

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
    let entry = this.cache.get(cacheKey);
    if (entry === undefined || (entry && Date.now() - entry.loadedAt > CACHE_TTL_MS) || (entry === null && this.cache.size > CACHE_MAX)) {
      entry = await this.load(hash);
      if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value as string);
      // Unknown keys are not cached: a flood of random keys must not evict real ones.
      if (entry) this.cache.set(cacheKey, entry);
    }
    if (!entry) throw new AuthFailure('unknown_key', 'The API key is not valid.');
    if (entry.revoked) throw new AuthFailure('revoked', 'The API key has been revoked.');
    if (entry.expiresAt !== null && entry.expiresAt <= Date.now()) throw new AuthFailure('expired', 'The API key has expired.');
    this.used.add(entry.id);
    return { kind: 'api_key', id: entry.id, tenantId: entry.tenantId, permissions: entry.permissions, kbIds: entry.kbIds, expiresAt: entry.expiresAt };
  }

  /** Called when a key is revoked or changed so this replica stops honouring it at once. */
  forgetKey(keyId: string): void {
    for (const [k, v] of this.cache) if (v && v.id === keyId) this.cache.delete(k);
  }

  forgetAll(): void {
    this.cache.clear();
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
      loadedAt: Date.now(),
    };
  }

  async flushLastUsed(): Promise<void> {
    if (this.used.size === 0) return;
    const ids = [...this.used];
    this.used.clear();
    try {
      await this.db.withPlatform((db) => this.repo.touchApiKeys(db, ids));
    } catch (err) {
      this.logger.warn({ err }, 'could not record API key last_used_at');
    }
  }
}
