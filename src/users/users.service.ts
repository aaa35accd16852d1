import { Injectable } from '@nestjs/common';
import { hashPassword } from '../auth/passwords';
import { ROLE_PERMISSIONS, TenantRole } from '../context/permissions';
import { Principal } from '../context/principal';
import { TenantEvents } from '../context/tenant-events';
import { AppException } from '../common/app-exception';
import { Page } from '../common/envelope';
import { iso } from '../common/text';
import { DatabaseService } from '../database/database.service';
import { CreateUserDto, UpdateUserDto, UserDto } from './users.dto';
import { UserRow, UsersRepository } from './users.repository';

export function toUserDto(r: UserRow): UserDto {
  return {
    user_id: r.id,
    tenant_id: r.tenant_id,
    username: r.username,
    role: r.role,
    is_active: r.is_active,
    created_at: iso(r.created_at)!,
    updated_at: iso(r.updated_at)!,
  };
}

/**
 * A creator may only hand out a role whose permissions it holds itself. A key
 * limited to some KBs may not manage users at all: a user reaches every KB of
 * the tenant, so creating one (or resetting one's password) would widen the
 * key's own scope.
 */
function assertMayGrant(creator: Principal, role: TenantRole): void {
  if (creator.kind === 'admin') return;
  if (creator.kind === 'api_key' && creator.kbIds !== null) {
    throw AppException.forbidden('A key limited to some knowledge bases cannot manage users; use a key with knowledge_base_ids ["*"].');
  }
  const missing = ROLE_PERMISSIONS[role].filter((p) => !creator.permissions.has(p));
  if (missing.length) throw AppException.forbidden(`The ${role} role carries permissions you lack: ${missing.join(', ')}.`);
}

@Injectable()
export class UsersService {
  constructor(
    private readonly db: DatabaseService,
    private readonly repo: UsersRepository,
    private readonly events: TenantEvents,
  ) {}

  async create(tenantId: string, creator: Principal, input: CreateUserDto): Promise<UserDto> {
    assertMayGrant(creator, input.role);
    const passwordHash = await hashPassword(input.password);
    const row = await this.db.withTenant(tenantId, async (db) => {
      try {
        return await this.repo.insert(db, tenantId, { username: input.username, passwordHash, role: input.role });
      } catch (err) {
        if ((err as { driverError?: { code?: string } }).driverError?.code === '23505') {
          throw AppException.conflict(`The username "${input.username}" is taken in this tenant.`);
        }
        throw err;
      }
    });
    return toUserDto(row);
  }

  async list(tenantId: string, limit: number, offset: number): Promise<Page<UserDto>> {
    const { rows, total } = await this.db.withTenant(tenantId, (db) => this.repo.list(db, tenantId, limit, offset));
    return new Page(rows.map(toUserDto), total, limit, offset);
  }

  async get(tenantId: string, userId: string): Promise<UserDto> {
    const row = await this.db.withTenant(tenantId, (db) => this.repo.findById(db, tenantId, userId));
    if (!row) throw AppException.notFound('The user');
    return toUserDto(row);
  }

  async update(tenantId: string, actor: Principal, userId: string, patch: UpdateUserDto): Promise<UserDto> {
    if (patch.role) assertMayGrant(actor, patch.role);
    const passwordHash = patch.password ? await hashPassword(patch.password) : undefined;
    const row = await this.db.withTenant(tenantId, async (db) => {
      const current = await this.repo.findById(db, tenantId, userId);
      if (!current) throw AppException.notFound('The user');
      assertMayGrant(actor, current.role);
      return this.repo.update(db, tenantId, userId, { passwordHash, role: patch.role, isActive: patch.is_active });
    });
    if (!row) throw AppException.notFound('The user');
    this.events.emit({ type: 'user_changed', tenantId, userId });
    return toUserDto(row);
  }

  async remove(tenantId: string, actor: Principal, userId: string): Promise<{ user_id: string; deleted: true }> {
    await this.db.withTenant(tenantId, async (db) => {
      const current = await this.repo.findById(db, tenantId, userId);
      if (!current) throw AppException.notFound('The user');
      assertMayGrant(actor, current.role);
      await this.repo.delete(db, tenantId, userId);
    });
    this.events.emit({ type: 'user_changed', tenantId, userId });
    return { user_id: userId, deleted: true };
  }
}
