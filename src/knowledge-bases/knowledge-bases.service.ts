import { Injectable } from '@nestjs/common';
import { AppException } from '../common/app-exception';
import { Page } from '../common/envelope';
import { iso } from '../common/text';
import { AppConfig } from '../config/app-config';
import { DatabaseService } from '../database/database.service';
import { TenantEvents } from '../context/tenant-events';
import { TenantsRepository } from '../tenants/tenants.repository';
import { CreateKnowledgeBaseDto, KbConfigDto, KnowledgeBaseDto, UpdateKnowledgeBaseDto } from './knowledge-bases.dto';
import { KnowledgeBaseRow, KnowledgeBasesRepository } from './knowledge-bases.repository';

export function toKnowledgeBaseDto(r: KnowledgeBaseRow): KnowledgeBaseDto {
  return {
    kb_id: r.id,
    tenant_id: r.tenant_id,
    kb_name: r.name,
    description: r.description,
    config: r.config ?? {},
    created_at: iso(r.created_at)!,
    updated_at: iso(r.updated_at)!,
  };
}

function checkChunking(config: KbConfigDto): void {
  const size = config.chunk_token_size ?? 1200;
  const overlap = config.chunk_overlap_token_size ?? 100;
  if (overlap >= size) {
    throw AppException.validation('config.chunk_overlap_token_size must be smaller than config.chunk_token_size.', [
      { field: 'config.chunk_overlap_token_size', message: 'must be smaller than chunk_token_size' },
    ]);
  }
}

@Injectable()
export class KnowledgeBasesService {
  constructor(
    private readonly db: DatabaseService,
    private readonly repo: KnowledgeBasesRepository,
    private readonly tenants: TenantsRepository,
    private readonly config: AppConfig,
    private readonly events: TenantEvents,
  ) {}

  async create(tenantId: string, input: CreateKnowledgeBaseDto): Promise<KnowledgeBaseDto> {
    const config = input.config ?? {};
    checkChunking(config);
    const name = input.kb_name.trim();
    const row = await this.db.withTenant(tenantId, async (db) => {
      const tenant = await this.tenants.findById(db, tenantId);
      if (!tenant || tenant.deleted_at) throw AppException.notFound('The tenant');
      await this.repo.lockTenant(db, tenantId);
      const max = tenant.settings?.limits?.max_kb ?? this.config.settings.maxKbPerTenant;
      if ((await this.repo.countForTenant(db, tenantId)) >= max) {
        throw new AppException('QUOTA_EXCEEDED', `This tenant already has its limit of ${max} knowledge bases.`, undefined, { 'Retry-After': '3600' });
      }
      if (await this.repo.nameTaken(db, tenantId, name)) throw AppException.conflict(`A knowledge base named "${name}" already exists in this tenant.`);
      return this.repo.insert(db, tenantId, { name, description: input.description ?? null, config });
    });
    this.events.emit({ type: 'kb_created', tenantId, kbId: row.id });
    return toKnowledgeBaseDto(row);
  }

  async list(tenantId: string, scope: ReadonlySet<string> | null, limit: number, offset: number): Promise<Page<KnowledgeBaseDto>> {
    const { rows, total } = await this.db.withTenant(tenantId, (db) => this.repo.list(db, tenantId, scope ? [...scope] : null, limit, offset));
    return new Page(rows.map(toKnowledgeBaseDto), total, limit, offset);
  }

  async get(tenantId: string, kbId: string): Promise<KnowledgeBaseDto> {
    const row = await this.db.withTenant(tenantId, (db) => this.repo.findById(db, tenantId, kbId));
    if (!row) throw AppException.notFound('The knowledge base');
    return toKnowledgeBaseDto(row);
  }

  async update(tenantId: string, kbId: string, patch: UpdateKnowledgeBaseDto): Promise<KnowledgeBaseDto> {
    const row = await this.db.withTenant(tenantId, async (db) => {
      const current = await this.repo.findById(db, tenantId, kbId);
      if (!current) throw AppException.notFound('The knowledge base');
      if (patch.config) checkChunking({ ...current.config, ...patch.config });
      const name = patch.kb_name?.trim();
      if (name && (await this.repo.nameTaken(db, tenantId, name, kbId))) throw AppException.conflict(`A knowledge base named "${name}" already exists in this tenant.`);
      return this.repo.update(db, tenantId, kbId, { name, description: patch.description, config: patch.config });
    });
    if (!row) throw AppException.notFound('The knowledge base');
    this.events.emit({ type: 'kb_updated', tenantId, kbId });
    return toKnowledgeBaseDto(row);
  }

  async remove(tenantId: string, kbId: string): Promise<{ kb_id: string; deleted: true }> {
    const gone = await this.db.withTenant(tenantId, (db) => this.repo.delete(db, tenantId, kbId));
    if (!gone) throw AppException.notFound('The knowledge base');
    this.events.emit({ type: 'kb_deleted', tenantId, kbId });
    return { kb_id: kbId, deleted: true };
  }

  async findIdByName(tenantId: string, name: string): Promise<string | null> {
    const row = await this.db.withTenant(tenantId, (db) => this.repo.findByName(db, tenantId, name));
    return row?.id ?? null;
  }

  /** Used where another service must know a KB exists in the tenant before writing under it. */
  async assertExists(tenantId: string, kbId: string): Promise<KnowledgeBaseRow> {
    const row = await this.db.withTenant(tenantId, (db) => this.repo.findById(db, tenantId, kbId));
    if (!row) throw AppException.notFound('The knowledge base');
    return row;
  }
}
