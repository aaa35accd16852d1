import { AddsDocuments } from '../../../documents/adds-documents.decorator';
import { Body, Delete, Get, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AppException } from '../../../common/app-exception';
import { AuditAction } from '../../../common/audit-action';
import { AppConfig } from '../../../config/app-config';
import { RequirePermissions } from '../../../context/decorators';
import { TenantContext } from '../../../context/tenant-context';
import { DocumentsService } from '../../../documents/documents.service';
import { DocumentParser } from '../../../documents/parsers/document-parser';
import { SUPPORTED_EXTENSIONS } from '../../../documents/parsers/parse-document';
import { readUpload } from '../../../documents/upload';
import { RateLimit } from '../../../throttling/rate-limit.decorator';
import { ConsumesModelBudget, ModelBudgetGuard } from '../../../usage/model-budget';
import { DeleteDocDto, DocumentsPageDto, InsertTextDto, InsertTextsDto } from './lightrag-documents.dto';
import { InsertResponse, LightragDocumentsService, lightragTrackId, UNKNOWN_SOURCE } from './lightrag-documents.service';
import { LightragHttpError, LightragValidationError } from './lightrag-errors';
import { LightragController, LightragRoute } from './lightrag-route';
import { parseLightrag } from './lightrag-validation';

/**
 * LightRAG 1.4.16's /documents routes on the KB the workspace selector names:
 * inserts (200 InsertResponse, "duplicated" instead of Strata's 409), status
 * and listing reads, deletions, and the pipeline controls mapped onto
 * Strata's ingestion queue. Each route keeps its native twin's permission,
 * rate limit, model budget and audit action.
 */
@LightragController('documents')
export class LightragDocumentsController {
  constructor(
    private readonly compat: LightragDocumentsService,
    private readonly documents: DocumentsService,
    private readonly parser: DocumentParser,
    private readonly context: TenantContext,
    private readonly config: AppConfig,
  ) {}

  private scope(): { tenantId: string; kbId: string } {
    const kbId = this.context.kbId;
    if (!kbId) throw new LightragHttpError(400, 'Missing LIGHTRAG-WORKSPACE header. Workspace identification is required.');
    return { tenantId: this.context.requireTenantId(), kbId };
  }

  @Post('text')
  @LightragRoute('kb')
  @HttpCode(200)
  @AddsDocuments()
  async insertText(@Body() body: unknown): Promise<InsertResponse> {
    const dto = parseLightrag(InsertTextDto, body);
    const { tenantId, kbId } = this.scope();
    const source = dto.file_source?.trim() || UNKNOWN_SOURCE;
    return this.compat.insert(
      tenantId,
      kbId,
      [{ text: dto.text.trim(), filePath: source, format: 'text' }],
      'insert',
      'Text successfully received. Processing will continue in background.',
      () => (source === UNKNOWN_SOURCE ? 'The text' : `File source '${source}'`),
    );
  }

  @Post('texts')
  @LightragRoute('kb')
  @HttpCode(200)
  @AddsDocuments()
  async insertTexts(@Body() body: unknown): Promise<InsertResponse> {
    const dto = parseLightrag(InsertTextsDto, body);
    const { tenantId, kbId } = this.scope();
    const sources = dto.file_sources ?? [];
    if (sources.length > 0 && sources.length !== dto.texts.length) {
      throw new LightragValidationError([
        { type: 'value_error', loc: ['body', 'file_sources'], msg: `file_sources must have one entry per text (${dto.texts.length})`, input: undefined },
      ]);
    }
    const docs = dto.texts.map((text, i) => ({ text: text.trim(), filePath: sources[i]?.trim() || UNKNOWN_SOURCE, format: 'text' }));
    return this.compat.insert(tenantId, kbId, docs, 'insert', 'Texts successfully received. Processing will continue in background.', (i) =>
      docs[i].filePath === UNKNOWN_SOURCE ? `texts[${i}]` : `texts[${i}] (file source '${docs[i].filePath}')`,
    );
  }

  /** Multipart field `file`; a type Strata cannot read → 400 "Unsupported file type…", over MAX_UPLOAD_MB → 413. */
  @Post('upload')
  @LightragRoute('kb')
  @HttpCode(200)
  @AddsDocuments()
  async upload(@Req() req: FastifyRequest): Promise<InsertResponse> {
    const { tenantId, kbId } = this.scope();
    let parsed;
    try {
      parsed = await readUpload(req, this.parser, this.config.settings);
    } catch (err) {
      if (err instanceof AppException && err.code === 'UNSUPPORTED_MEDIA_TYPE')
        throw new LightragHttpError(400, `Unsupported file type. Supported types: (${SUPPORTED_EXTENSIONS.map((e) => `'${e}'`).join(', ')})`);
      if (err instanceof AppException && err.code === 'PAYLOAD_TOO_LARGE') throw new LightragHttpError(413, `File too large. ${err.message}`);
      throw err;
    }
    const name = parsed.fileName;
    return this.compat.insert(
      tenantId,
      kbId,
      [{ text: parsed.text, filePath: name, format: parsed.format }],
      'upload',
      `File '${name}' uploaded successfully. Processing will continue in background.`,
      () => `File '${name}'`,
    );
  }

  /** Strata has no input directory: nothing is scanned, and the scan_ track id tracks no document. */
  @Post('scan')
  @LightragRoute('kb')
  @HttpCode(200)
  @RequirePermissions('document:write')
  scan(): { status: string; message: string; track_id: string } {
    this.scope();
    return {
      status: 'scanning_started',
      message: 'Strata has no input directory to scan, so no document was added; send files with POST /documents/upload.',
      track_id: lightragTrackId('scan'),
    };
  }

  @Get('track_status/:track_id')
  @LightragRoute('kb')
  @RequirePermissions('document:read')
  trackStatus(@Param('track_id') trackId: string) {
    const { tenantId, kbId } = this.scope();
    const id = (trackId ?? '').trim();
    if (!id) throw new LightragHttpError(400, 'Track ID cannot be empty');
    return this.compat.trackStatus(tenantId, kbId, id);
  }

  @Post('paginated')
  @LightragRoute('kb')
  @HttpCode(200)
  @RequirePermissions('document:read')
  paginated(@Body() body: unknown) {
    const dto = parseLightrag(DocumentsPageDto, body);
    const { tenantId, kbId } = this.scope();
    return this.compat.page(tenantId, kbId, dto);
  }

  @Get('status_counts')
  @LightragRoute('kb')
  @RequirePermissions('document:read')
  statusCounts() {
    const { tenantId, kbId } = this.scope();
    return this.compat.statusCounts(tenantId, kbId);
  }

  /** LightRAG's deprecated listing: at most 1000 documents, grouped by status (only statuses that have some). */
  @Get()
  @LightragRoute('kb')
  @RequirePermissions('document:read')
  list() {
    const { tenantId, kbId } = this.scope();
    return this.compat.byStatus(tenantId, kbId);
  }

  @Get('pipeline_status')
  @LightragRoute('kb')
  @RequirePermissions('document:read')
  pipelineStatus() {
    const { tenantId, kbId } = this.scope();
    return this.compat.pipelineStatus(tenantId, kbId);
  }

  /**
   * Deletes the listed documents of this KB now, one transaction each (as
   * the native DELETE); ids that are not documents of this KB are skipped.
   * The status stays LightRAG's "deletion_started", which clients check.
   */
  @Delete('delete_document')
  @LightragRoute('kb')
  @HttpCode(200)
  @RequirePermissions('document:delete')
  @AuditAction('document.delete')
  async deleteDocuments(@Body() body: unknown): Promise<{ status: string; message: string; doc_id: string }> {
    const dto = parseLightrag(DeleteDocDto, body);
    const { tenantId, kbId } = this.scope();
    const ids = dto.doc_ids.map((id) => id.trim());
    const { deleted, skipped } = await this.documents.removeMany(tenantId, kbId, ids);
    const message =
      `Document deletion for ${ids.length} documents has completed: ${deleted.length} deleted` +
      (skipped.length ? `, ${skipped.length} not found in this workspace (skipped).` : '.');
    return { status: 'deletion_started', message, doc_id: ids.join(', ') };
  }

  /** Every document of the KB, its chunks and its graph. Needs an explicit workspace: never the default KB. */
  @Delete()
  @LightragRoute('kb-explicit')
  @HttpCode(200)
  @RequirePermissions('document:delete')
  @AuditAction('document.delete')
  async clear(): Promise<{ status: string; message: string }> {
    const { tenantId, kbId } = this.scope();
    const n = await this.documents.removeAll(tenantId, kbId);
    return { status: 'success', message: `All documents cleared successfully. Deleted ${n} files.` };
  }

  /** Drops the KB's documents waiting for ingestion (they become failed; reprocess_failed queues them again). */
  @Post('cancel_pipeline')
  @LightragRoute('kb')
  @HttpCode(200)
  @RequirePermissions('document:write')
  async cancelPipeline(): Promise<{ status: string; message: string }> {
    const { tenantId, kbId } = this.scope();
    const { cancelled, busy } = await this.documents.cancelPending(tenantId, kbId);
    if (!busy) return { status: 'not_busy', message: 'Pipeline is not currently running. No cancellation needed.' };
    return {
      status: 'cancellation_requested',
      message: `Cancelled ${cancelled} documents waiting for ingestion (now failed; POST /documents/reprocess_failed queues them again). Documents being ingested now will finish.`,
    };
  }

  @Post('reprocess_failed')
  @LightragRoute('kb')
  @HttpCode(200)
  @RequirePermissions('document:write')
  @RateLimit('document')
  @ConsumesModelBudget('ingestion')
  @UseGuards(ModelBudgetGuard)
  async reprocessFailed(): Promise<{ status: string; message: string; track_id: string }> {
    const { tenantId, kbId } = this.scope();
    const n = await this.documents.reprocessFailed(tenantId, kbId);
    return { status: 'reprocessing_started', message: `Reprocessing of ${n} failed documents has started; they are queued for ingestion again.`, track_id: '' };
  }

  /** Strata keeps no LLM response cache: nothing to clear (any body is ignored). Needs an explicit workspace, as in LightRAG's mapping. */
  @Post('clear_cache')
  @LightragRoute('kb-explicit')
  @HttpCode(200)
  @RequirePermissions('document:write')
  clearCache(): { status: string; message: string } {
    this.scope();
    return { status: 'success', message: 'Strata keeps no LLM response cache; there was nothing to clear.' };
  }

  /**
   * Graph editing is not in Strata yet. LightRAG would need graph:write,
   * which Strata does not have: document:delete guards these routes instead.
   */
  @Delete('delete_entity')
  @LightragRoute('kb')
  @RequirePermissions('document:delete')
  deleteEntity(): never {
    throw new LightragHttpError(501, 'Not implemented by Strata');
  }

  /** As delete_entity. */
  @Delete('delete_relation')
  @LightragRoute('kb')
  @RequirePermissions('document:delete')
  deleteRelation(): never {
    throw new LightragHttpError(501, 'Not implemented by Strata');
  }
}
