import { Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { TenantContext } from '../context/tenant-context';
import { AppException } from '../common/app-exception';
import { Page } from '../common/envelope';
import { iso } from '../common/text';
import { DatabaseService, Db } from '../database/database.service';
import { KnowledgeBasesRepository } from '../knowledge-bases/knowledge-bases.repository';
import { MetricsService } from '../metrics/metrics.service';
import { DocumentIngestion } from '../rag/ingestion/document-ingestion';
import { DocumentQuota } from '../throttling/document-quota';
import { DocumentDto } from './documents.dto';
import { DocumentRow, DocumentsRepository, DocumentStatus } from './documents.repository';

export interface NewDocument {
  text: string;
  filePath: string;
  format: string;
}

export function toDocumentDto(r: DocumentRow): DocumentDto {
  return {
    document_id: r.id,
    kb_id: r.kb_id,
    file_path: r.file_path,
    status: r.status,
    chunks_count: r.chunks_count,
    error: r.error,
    track_id: r.track_id,
    content_hash: r.content_hash,
    size_bytes: Number(r.size_bytes),
    format: r.format,
    created_at: iso(r.created_at)!,
    updated_at: iso(r.updated_at)!,
  };
}

/** The dedupe key: identical text (after trimming) in the same KB is the same document. */
export function contentHash(text: string): string {
  return createHash('sha256').update(text.trim(), 'utf8').digest('hex');
}

@Injectable()
export class DocumentsService {
  constructor(
    private readonly db: DatabaseService,
    private readonly docs: DocumentsRepository,
    private readonly kbs: KnowledgeBasesRepository,
    private readonly ingestion: DocumentIngestion,
    private readonly context: TenantContext,
    private readonly metrics: MetricsService,
    private readonly quota: DocumentQuota,
  ) {}

  /**
   * Stores the documents and enqueues their ingestion in one transaction (the
   * quota check too, so a refused request writes nothing). Content already in
   * the KB is a 409 CONFLICT naming the existing document: it is never indexed twice.
   */
  async add(tenantId: string, kbId: string, docs: NewDocument[]): Promise<{ ids: string[]; trackId: string }> {
    const trackId = `insert_${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}_${randomUUID().slice(0, 8)}`;
    // A document's size (size_bytes, and what the storage quota is charged) is its stored
    // text's UTF-8 length, never the uploaded file's: a small .docx may hold far more text.
    const prepared = docs.map((d) => ({ ...d, hash: contentHash(d.text), size: Buffer.byteLength(d.text, 'utf8') }));
    const seen = new Map<string, number>();
    prepared.forEach((d, i) => {
      const first = seen.get(d.hash);
      if (first !== undefined) throw AppException.conflict(`texts[${i}] has the same content as texts[${first}].`);
      seen.set(d.hash, i);
    });
    const requestId = this.context.requestId ?? null;
    const ids = await this.db.withTenant(tenantId, async (db) => {
      await this.assertKb(db, tenantId, kbId);
      const existing = await this.docs.findByHashes(
        db,
        tenantId,
        kbId,
        prepared.map((d) => d.hash),
      );
      if (existing.length) {
        const e = existing[0];
        throw new AppException('CONFLICT', `This content is already in the knowledge base as document ${e.id}.`, [
          { field: prepared.length > 1 ? `texts[${prepared.findIndex((d) => d.hash === e.content_hash)}]` : 'content', message: `duplicate of document ${e.id}` },
        ]);
      }
      await this.quota.assertCanAdd(
        db,
        tenantId,
        prepared.length,
        prepared.reduce((s, d) => s + d.size, 0),
      );
      const out: string[] = [];
      for (const d of prepared) {
        const row = await this.docs.insert(db, tenantId, kbId, { filePath: d.filePath, contentHash: d.hash, content: d.text, format: d.format, sizeBytes: d.size, trackId });
        await this.ingestion.enqueue(db, tenantId, kbId, row.id, requestId);
        out.push(row.id);
      }
      return out;
    });
    this.ingestion.enqueued();
    void this.refreshTenantGauges(tenantId);
    return { ids, trackId };
  }

  async list(tenantId: string, kbId: string, status: DocumentStatus | null, limit: number, offset: number): Promise<Page<DocumentDto>> {
    const { rows, total } = await this.db.withTenant(tenantId, async (db) => {
      await this.assertKb(db, tenantId, kbId);
      return this.docs.list(db, tenantId, kbId, status, limit, offset);
    });
    return new Page(rows.map(toDocumentDto), total, limit, offset);
  }

  async get(tenantId: string, kbId: string, documentId: string): Promise<DocumentDto> {
    const row = await this.db.withTenant(tenantId, async (db) => {
      await this.assertKb(db, tenantId, kbId);
      return this.docs.findById(db, tenantId, kbId, documentId);
    });
    if (!row) throw AppException.notFound('The document');
    return toDocumentDto(row);
  }

  /**
   * Removes the document, its chunks, its queued job and its support of graph
   * facts in one transaction; facts left without support disappear, the
   * others are rebuilt from what remains.
   */
  async remove(tenantId: string, kbId: string, documentId: string): Promise<{ document_id: string; deleted: true }> {
    await this.db.withTenant(tenantId, async (db) => {
      await this.assertKb(db, tenantId, kbId);
      const doc = await this.docs.lockById(db, tenantId, kbId, documentId);
      if (!doc) throw AppException.notFound('The document');
      await this.ingestion.removeDocument(db, tenantId, kbId, documentId);
      await this.docs.delete(db, tenantId, kbId, documentId);
    });
    this.ingestion.removed(tenantId, kbId);
    void this.refreshTenantGauges(tenantId);
    return { document_id: documentId, deleted: true };
  }

  private async assertKb(db: Db, tenantId: string, kbId: string): Promise<void> {
    if (!(await this.kbs.findById(db, tenantId, kbId))) throw AppException.notFound('The knowledge base');
  }

  private async refreshTenantGauges(tenantId: string): Promise<void> {
    try {
      const t = await this.db.withTenant(tenantId, (db) => this.docs.tenantTotals(db, tenantId));
      this.metrics.documentsPerTenant.set({ tenant_id: tenantId }, t.documents);
      this.metrics.storageUsedPerTenant.set({ tenant_id: tenantId }, t.bytes);
    } catch {
      // gauges are best effort
    }
  }
}
