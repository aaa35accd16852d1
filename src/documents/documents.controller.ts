import { AddsDocuments } from './adds-documents.decorator';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AuditAction } from '../common/audit-action';
import { RequirePermissions } from '../context/decorators';
import { AppException } from '../common/app-exception';
import { AppConfig } from '../config/app-config';
import { Page } from '../common/envelope';
import { UuidParam } from '../common/params';
import { AddTextDto, AddTextsDto, DocumentAcceptedDto, DocumentDto, DocumentListQuery, DocumentsAcceptedDto } from './documents.dto';
import { DocumentsService } from './documents.service';
import { DocumentParser } from './parsers/document-parser';
import { readUpload } from './upload';

@ApiTags('documents')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('tenants/:tenantId/knowledge-bases/:kbId/documents')
export class DocumentsController {
  constructor(
    private readonly documents: DocumentsService,
    private readonly parser: DocumentParser,
    private readonly config: AppConfig,
  ) {}

  @Post('add')
  @HttpCode(202)
  @AddsDocuments()
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' } } } })
  @ApiOperation({
    summary: 'Upload a file (txt, md, html, pdf, docx, csv, json) for background ingestion',
    description:
      '202 with the new document id. Over MAX_UPLOAD_MB, text over MAX_EXTRACTED_MB or a PDF over MAX_PDF_PAGES → 413; a file that cannot be parsed (corrupt, no text, or not within PARSE_TIMEOUT_S) → 400; another type → 415; text over the storage quota (charged on the stored text) → 429 QUOTA_EXCEEDED; the same content already in the KB → 409 naming the existing document.',
  })
  @ApiResponse({ status: 202, type: DocumentAcceptedDto })
  async upload(@Param('tenantId') tenantId: string, @Param('kbId') kbId: string, @Req() req: FastifyRequest): Promise<DocumentAcceptedDto> {
    const parsed = await readUpload(req, this.parser, this.config.settings);
    const { ids, trackId } = await this.documents.add(tenantId, kbId, [{ text: parsed.text, filePath: parsed.fileName, format: parsed.format }]);
    return { document_id: ids[0], status: 'pending', track_id: trackId };
  }

  @Post('text')
  @HttpCode(202)
  @AddsDocuments()
  @ApiOperation({ summary: 'Add one text for background ingestion', description: '409 when the same content is already in the KB (the message names the existing document).' })
  @ApiResponse({ status: 202, type: DocumentAcceptedDto })
  async addText(@Param('tenantId') tenantId: string, @Param('kbId') kbId: string, @Body() body: AddTextDto): Promise<DocumentAcceptedDto> {
    const { ids, trackId } = await this.documents.add(tenantId, kbId, [{ text: body.text, filePath: body.file_source ?? 'text', format: 'text' }]);
    return { document_id: ids[0], status: 'pending', track_id: trackId };
  }

  @Post('texts')
  @HttpCode(202)
  @AddsDocuments()
  @ApiOperation({ summary: 'Add several texts for background ingestion (all or nothing)' })
  @ApiResponse({ status: 202, type: DocumentsAcceptedDto })
  async addTexts(@Param('tenantId') tenantId: string, @Param('kbId') kbId: string, @Body() body: AddTextsDto): Promise<DocumentsAcceptedDto> {
    if (body.file_sources && body.file_sources.length !== body.texts.length) {
      throw AppException.validation('file_sources must have one entry per text.', [{ field: 'file_sources', message: `must have ${body.texts.length} entries` }]);
    }
    const docs = body.texts.map((text, i) => ({ text, filePath: body.file_sources?.[i] ?? 'text', format: 'text' }));
    const { ids, trackId } = await this.documents.add(tenantId, kbId, docs);
    return { document_ids: ids, status: 'pending', track_id: trackId };
  }

  @Get()
  @RequirePermissions('document:read')
  @ApiOperation({ summary: 'List documents (newest first), optionally by status' })
  list(@Param('tenantId') tenantId: string, @Param('kbId') kbId: string, @Query() q: DocumentListQuery): Promise<Page<DocumentDto>> {
    return this.documents.list(tenantId, kbId, q.status ?? null, q.limit, q.offset);
  }

  @Get(':documentId')
  @RequirePermissions('document:read')
  @ApiOperation({ summary: 'A document with its status (pending | processing | processed | failed), chunks_count and error' })
  get(@Param('tenantId') tenantId: string, @Param('kbId') kbId: string, @UuidParam('documentId') documentId: string): Promise<DocumentDto> {
    return this.documents.get(tenantId, kbId, documentId);
  }

  @Delete(':documentId')
  @RequirePermissions('document:delete')
  @AuditAction('document.delete')
  @ApiOperation({ summary: 'Delete a document, its chunks and the graph facts only it supported' })
  remove(@Param('tenantId') tenantId: string, @Param('kbId') kbId: string, @UuidParam('documentId') documentId: string): Promise<{ document_id: string; deleted: true }> {
    return this.documents.remove(tenantId, kbId, documentId);
  }
}
