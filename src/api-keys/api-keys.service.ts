import { Injectable } from '@nestjs/common';
import { ApiKeyAuthenticator } from '../auth/api-key-authenticator';
import { generateApiKey, visiblePrefix } from '../auth/api-key-format';
import { isPermission } from '../context/permissions';
import { describePrincipal, Principal } from '../context/principal';
import { AppException } from '../common/app-exception';
import { Page } from '../common/envelope';
import { iso } from '../common/text';
import { TenantEvents } from '../context/tenant-events';
import { DatabaseService } from '../database/database.service';
import { KnowledgeBasesRepository } from '../knowledge-bases/knowledge-bases.repository';
import { ApiKeyDto, CreateApiKeyDto, CreatedApiKeyDto } from './api-keys.dto';
import { ApiKeyRow, ApiKeysRepository } from './api-keys.repository';

export function toApiKeyDto(r: ApiKeyRow): ApiKeyDto {
  return {
    key_id: r.id,
    key_name: r.name,
    key_prefix: r.key_prefix,
    knowledge_base_ids: r.kb_ids ?? ['*'],
    // Names no longer in PERMISSIONS (a stored key from an older version) are not shown.
    permissions: r.permissions.filter(isPermission),
    expires_at: iso(r.expires_at),
    revoked_at: iso(r.revoked_at),
    last_used_at: iso(r.last_used_at),
    created_by: r.created_by,
    created_at: iso(r.created_at)!,
  };
}

/** null = the caller reaches every KB of the tenant. */
function callerKbScope(caller: Principal): ReadonlySet<string> | null {
  return caller.kind === 'api_key' ? caller.kbIds : null;
}

function assertWithinCallerScope(caller: Principal, key: ApiKeyRow): void {
  const scope = callerKbScope(caller);
  if (scope === null) return;
  if (key.kb_ids === null || key.kb_ids.some((id) => !scope.has(id))) {
    throw AppException.forbidden('This API key reaches knowledge bases outside your key’s scope.');
  }
}

/** Revoking is a power over the key: only a caller holding every permission of the key (and its KB scope) has it. */
function assertMayRevoke(caller: Principal, key: ApiKeyRow): void {
  if (caller.kind === 'admin') return;
  assertWithinCallerScope(caller, key);
  const beyond = key.permissions.filter(isPermission).filter((p) => !caller.permissions.has(p));
  if (beyond.length) throw AppException.forbidden(`This API key carries permissions you lack (${beyond.join(', ')}); only a credential holding all of them may revoke it.`);
}

/** A key created by a key cannot outlive it: its expiry must be set and not later than its creator's. */
function assertExpiryWithinCreator(creator: Principal, expiresAt: Date | null): void {
  if (creator.kind !== 'api_key' || creator.expiresAt === null) return;
  if (expiresAt === null || expiresAt.getTime() > creator.expiresAt) {
    const limit = new Date(creator.expiresAt).toISOString();
    throw AppException.validation(`expires_at must be set and no later than the creating key’s own expiry (${limit}).`, [
      { field: 'expires_at', message: `must be at most ${limit}, the creating key’s expiry` },
    ]);
  }
}

@Injectable()
export class ApiKeysService {
  constructor(
    private readonly db: DatabaseService,
    private readonly repo: ApiKeysRepository,
    private readonly kbs: KnowledgeBasesRepository,
    private readonly authenticator: ApiKeyAuthenticator,
    private readonly events: TenantEvents,
  ) {}

  /**
   * Mints a key. It never carries more than its creator holds: every
   * permission must be the creator's, and a KB-scoped creator can only mint
   * keys inside its own KB scope, and a key with an expiry only keys that
   * expire no later than it does. The full key is returned once; only its
   * HMAC is stored.
   */
  async create(tenantId: string, creator: Principal, input: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    const everyKb = input.knowledge_base_ids.includes('*');
    if (everyKb && input.knowledge_base_ids.length > 1) {
      throw AppException.validation('knowledge_base_ids is either ["*"] or a list of KB ids, not both.', [
        { field: 'knowledge_base_ids', message: '"*" cannot be combined with ids' },
      ]);
    }
    const kbIds = everyKb ? null : input.knowledge_base_ids.map((s) => s.toLowerCase());
    if (input.expires_at && new Date(input.expires_at).getTime() <= Date.now()) {
      throw AppException.validation('expires_at must be in the future.', [{ field: 'expires_at', message: 'must be in the future' }]);
    }
    const expiresAt = input.expires_at ? new Date(input.expires_at) : null;
    assertExpiryWithinCreator(creator, expiresAt);
    if (creator.kind !== 'admin') {
      const missing = input.permissions.filter((p) => !creator.permissions.has(p));
      if (missing.length) throw AppException.forbidden(`A key cannot be given permissions its creator lacks: ${missing.join(', ')}.`);
      if (creator.kind === 'api_key' && creator.kbIds !== null) {
        const creatorKbs = creator.kbIds;
        if (kbIds === null || kbIds.some((id) => !creatorKbs.has(id))) {
          throw AppException.forbidden('A key cannot be given knowledge bases outside its creator’s scope.');
        }
      }
    }
    const key = generateApiKey();
    const row = await this.db.withTenant(tenantId, async (db) => {
      if (kbIds) {
        const found = new Set(await this.kbs.existingIds(db, tenantId, kbIds));
        const unknown = kbIds.filter((id) => !found.has(id));
        if (unknown.length) {
          throw AppException.validation(`Unknown knowledge base ids in this tenant: ${unknown.join(', ')}.`, [
            { field: 'knowledge_base_ids', message: 'must name knowledge bases of this tenant' },
          ]);
        }
      }
      return this.repo.insert(db, tenantId, {
        name: input.key_name.trim(),
        prefix: visiblePrefix(key),
        hash: this.authenticator.hash(key),
        kbIds,
        permissions: input.permissions,
        createdBy: describePrincipal(creator),
        expiresAt,
      });
    });
    return { ...toApiKeyDto(row), key };
  }

  /** A KB-scoped caller sees only the keys whose KB scope lies inside its own. */
  async list(tenantId: string, caller: Principal, limit: number, offset: number): Promise<Page<ApiKeyDto>> {
    const within = callerKbScope(caller);
    const { rows, total } = await this.db.withTenant(tenantId, (db) => this.repo.list(db, tenantId, within ? [...within] : null, limit, offset));
    return new Page(rows.map(toApiKeyDto), total, limit, offset);
  }

  async get(tenantId: string, caller: Principal, keyId: string): Promise<ApiKeyDto> {
    const row = await this.db.withTenant(tenantId, (db) => this.repo.findById(db, tenantId, keyId));
    if (!row) throw AppException.notFound('The API key');
    assertWithinCallerScope(caller, row);
    return toApiKeyDto(row);
  }

  /**
   * A caller may revoke only keys within its own powers: inside its KB scope
   * (not, say, the tenant's "*" key from a KB-scoped key) and carrying no
   * permission it lacks (an apikey:manage-only key cannot revoke the owner's
   * all-permission key). The platform admin may revoke any.
   */
  async revoke(tenantId: string, caller: Principal, keyId: string): Promise<ApiKeyDto> {
    const row = await this.db.withTenant(tenantId, async (db) => {
      const current = await this.repo.findById(db, tenantId, keyId);
      if (!current) throw AppException.notFound('The API key');
      assertMayRevoke(caller, current);
      return this.repo.revoke(db, tenantId, keyId);
    });
    if (!row) throw AppException.notFound('The API key');
    this.events.emit({ type: 'api_key_revoked', tenantId, keyId });
    return toApiKeyDto(row);
  }
}
