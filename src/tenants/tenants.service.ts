import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { AppException } from '../common/app-exception';
import { Page } from '../common/envelope';
import { iso, slugify } from '../common/text';
import { AppConfig } from '../config/app-config';
import { DatabaseService } from '../database/database.service';
import { CreateTenantDto, TenantDto, UpdateTenantDto } from './tenants.dto';
import { TenantRow, TenantsRepository } from './tenants.repository';
import { TenantEvents } from '../context/tenant-events';

export function toTenantDto(r: TenantRow): TenantDto {
  return {
    tenant_id: r.id,
    tenant_name: r.name,
    slug: r.slug,
    description: r.description,
    tier: r.tier,
    is_active: r.is_active,
    limits: r.settings?.limits ?? {},
    created_at: iso(r.created_at)!,
    updated_at: iso(r.updated_at)!,
    deleted_at: iso(r.deleted_at),
  };
}

@Injectable()
export class TenantsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(TenantsService.name);
  private purgeTimer?: NodeJS.Timeout;

  constructor(
    private readonly db: DatabaseService,
    private readonly repo: TenantsRepository,
    private readonly config: AppConfig,
    private readonly events: TenantEvents,
  ) {}

  onModuleInit(): void {
    // Soft-deleted tenants are purged once their retention period has passed.
    this.purgeTimer = setInterval(() => void this.purgeExpired().catch((err) => this.logger.warn({ err }, 'tenant purge failed')), 3600_000);
    this.purgeTimer.unref();
  }

  onModuleDestroy(): void {
    if (this.purgeTimer) clearInterval(this.purgeTimer);
  }

  async create(input: CreateTenantDto): Promise<TenantDto> {
    const name = input.tenant_name.trim();
    const row = await this.db.withPlatform(async (db) => {
      let slug = input.slug ?? slugify(name);
      if (await this.repo.slugExists(db, slug)) {
        if (input.slug) throw AppException.conflict(`A tenant with slug "${slug}" already exists.`);
        const base = slug.slice(0, 55);
        let n = 2;
        while (await this.repo.slugExists(db, `${base}-${n}`)) n++;
        slug = `${base}-${n}`;
      }
      return this.repo.insert(db, { slug, name, description: input.description ?? null, tier: input.tier ?? 'standard', limits: input.limits ?? {} });
    });
    this.events.emit({ type: 'created', tenantId: row.id });
    return toTenantDto(row);
  }

  /** The live tenant with this slug, if any (the LightRAG import maps workspace → slug). */
  async findIdBySlug(slug: string): Promise<string | null> {
    const row = await this.db.withPlatform((db) => this.repo.findBySlug(db, slug));
    return row && !row.deleted_at ? row.id : null;
  }

  async list(includeDeleted: boolean, limit: number, offset: number, search?: string): Promise<Page<TenantDto>> {
    const { rows, total } = await this.db.withPlatform((db) => this.repo.listAll(db, includeDeleted, limit, offset, search));
    return new Page(rows.map(toTenantDto), total, limit, offset);
  }

  async get(tenantId: string): Promise<TenantDto> {
    const row = await this.db.withTenant(tenantId, (db) => this.repo.findById(db, tenantId));
    if (!row) throw AppException.notFound('The tenant');
    return toTenantDto(row);
  }

  async update(tenantId: string, patch: UpdateTenantDto, asAdmin: boolean): Promise<TenantDto> {
    if (!asAdmin && (patch.is_active !== undefined || patch.tier !== undefined || patch.limits !== undefined)) {
      throw AppException.forbidden('Only the platform admin may change is_active, tier or limits.');
    }
    const row = await this.db.withTenant(tenantId, (db) =>
      this.repo.update(db, tenantId, {
        name: patch.tenant_name?.trim(),
        description: patch.description,
        tier: patch.tier,
        is_active: patch.is_active,
        limits: patch.limits,
      }),
    );
    if (!row) throw AppException.notFound('The tenant');
    this.events.emit({ type: 'updated', tenantId });
    return toTenantDto(row);
  }

  async remove(tenantId: string, purge: boolean): Promise<TenantDto | { tenant_id: string; purged: true }> {
    if (purge) {
      const gone = await this.db.withPlatform((db) => this.repo.purge(db, tenantId));
      if (!gone) throw AppException.notFound('The tenant');
      this.afterRemoval(tenantId, true);
      return { tenant_id: tenantId, purged: true };
    }
    const row = await this.db.withPlatform((db) => this.repo.softDelete(db, tenantId));
    if (!row) throw AppException.notFound('The tenant');
    this.afterRemoval(tenantId, false);
    return toTenantDto(row);
  }

  /** Purges tenants soft-deleted longer than TENANT_RETENTION_DAYS ago. */
  async purgeExpired(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.config.settings.tenantRetentionDays * 86400_000);
    const ids = await this.db.withPlatform((db) => this.repo.deletedBefore(db, cutoff));
    for (const id of ids) {
      await this.db.withPlatform((db) => this.repo.purge(db, id));
      this.afterRemoval(id, true);
      this.logger.log(`purged tenant ${id} after its retention period`);
    }
    return ids.length;
  }

  private afterRemoval(tenantId: string, purged: boolean): void {
    this.events.emit({ type: purged ? 'purged' : 'deleted', tenantId });
  }
}
