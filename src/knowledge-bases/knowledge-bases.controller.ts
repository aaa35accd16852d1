import { Body, Controller, Delete, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { AuditAction } from '../common/audit-action';
import { RequirePermissions } from '../context/decorators';
import { TenantContext } from '../context/tenant-context';
import { Page } from '../common/envelope';
import { PageQuery } from '../common/pagination';
import { CreateKnowledgeBaseDto, KnowledgeBaseDto, UpdateKnowledgeBaseDto } from './knowledge-bases.dto';
import { KnowledgeBasesService } from './knowledge-bases.service';

@ApiTags('knowledge-bases')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('tenants/:tenantId/knowledge-bases')
export class KnowledgeBasesController {
  constructor(
    private readonly kbs: KnowledgeBasesService,
    private readonly context: TenantContext,
  ) {}

  @Post()
  @RequirePermissions('kb:write')
  @AuditAction('kb.create')
  @ApiOperation({ summary: 'Create a knowledge base' })
  create(@Param('tenantId') tenantId: string, @Body() body: CreateKnowledgeBaseDto): Promise<KnowledgeBaseDto> {
    return this.kbs.create(tenantId, body);
  }

  @Get()
  @RequirePermissions('kb:read')
  @ApiOperation({ summary: 'List knowledge bases (a KB-scoped key sees only its KBs)' })
  list(@Param('tenantId') tenantId: string, @Query() q: PageQuery): Promise<Page<KnowledgeBaseDto>> {
    return this.kbs.list(tenantId, this.context.allowedKbIds, q.limit, q.offset);
  }

  @Get(':kbId')
  @RequirePermissions('kb:read')
  @ApiOperation({ summary: 'Get a knowledge base' })
  get(@Param('tenantId') tenantId: string, @Param('kbId') kbId: string): Promise<KnowledgeBaseDto> {
    return this.kbs.get(tenantId, kbId);
  }

  @Patch(':kbId')
  @RequirePermissions('kb:write')
  @AuditAction('kb.update')
  @ApiOperation({ summary: 'Update a knowledge base (config is merged)' })
  update(@Param('tenantId') tenantId: string, @Param('kbId') kbId: string, @Body() body: UpdateKnowledgeBaseDto): Promise<KnowledgeBaseDto> {
    return this.kbs.update(tenantId, kbId, body);
  }

  @Delete(':kbId')
  @RequirePermissions('kb:delete')
  @AuditAction('kb.delete')
  @ApiOperation({ summary: 'Delete a knowledge base with its documents, chunks and graph' })
  remove(@Param('tenantId') tenantId: string, @Param('kbId') kbId: string): Promise<{ kb_id: string; deleted: true }> {
    return this.kbs.remove(tenantId, kbId);
  }
}
