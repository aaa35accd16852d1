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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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

/**
 * What storing a set of documents did: added them all, or wrote nothing
 * because `docs[index]` duplicates `existing` (a document of the KB) or
 * `docs[within]` (an earlier document of the same request), by content or by name.
 */
export type StoreOutcome = { kind: 'added'; ids: string[] } | { kind: 'duplicate'; index: number; existing?: DocumentRow; within?: number; by: 'content' | 'name' };

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
    const out = await this.store(tenantId, kbId, docs, trackId, () => null);
    if (out.kind === 'duplicate') {
      const e = out.existing;
      if (out.within !== undefined) throw AppException.conflict(`texts[${out.index}] has the same content as texts[${out.within}].`);
      throw new AppException('CONFLICT', `This content is already in the knowledge base as document ${e!.id}.`, [
        { field: docs.length > 1 ? `texts[${out.index}]` : 'content', message: `duplicate of document ${e!.id}` },
      ]);
    }
    return { ids: out.ids, trackId };
  }

  /**
   * add() for the LightRAG-compatible routes: a duplicate is an answer, not
   * an error. The first document of `docs` whose content is already in the KB
   * (or whose `nameKey` — its file path, or null for none — is a file path of
   * the KB), or that repeats an earlier one of `docs`, is returned and
   * nothing is written (all or nothing).
   */
  async addUnlessDuplicate(tenantId: string, kbId: string, docs: NewDocument[], trackId: string, nameKey: (d: NewDocument) => string | null): Promise<StoreOutcome> {
    try {
      return await this.store(tenantId, kbId, docs, trackId, nameKey);
    } catch (err) {
      // Another request stored the same content between our check and our insert
      // (the unique content hash refused ours): answer with that document.
      if ((err as { code?: string })?.code !== '23505') throw err;
      const again = await this.store(tenantId, kbId, docs, trackId, nameKey);
      return again;
    }
  }

  private async store(tenantId: string, kbId: string, docs: NewDocument[], trackId: string, nameKey: (d: NewDocument) => string | null): Promise<StoreOutcome> {
    // A document's size (size_bytes, and what the storage quota is charged) is its stored
    // text's UTF-8 length, never the uploaded file's: a small .docx may hold far more text.
    const prepared = docs.map((d) => ({ ...d, hash: contentHash(d.text), size: Buffer.byteLength(d.text, 'utf8'), name: nameKey(d) }));
    const seenHash = new Map<string, number>();
    const seenName = new Map<string, number>();
    for (const [i, d] of prepared.entries()) {
      const within = seenHash.get(d.hash) ?? (d.name !== null ? seenName.get(d.name) : undefined);
      if (within !== undefined) return { kind: 'duplicate', index: i, within, by: seenHash.has(d.hash) ? 'content' : 'name' };
      seenHash.set(d.hash, i);
      if (d.name !== null && !seenName.has(d.name)) seenName.set(d.name, i);
    }
    const requestId = this.context.requestId ?? null;
    const out = await this.db.withTenant(tenantId, async (db): Promise<StoreOutcome> => {
      await this.assertKb(db, tenantId, kbId);
      if (prepared.some((d) => d.name !== null)) await this.docs.lockNamesOfKb(db, tenantId, kbId);
      const existing = await this.docs.findDuplicates(
        db,
        tenantId,
        kbId,
        prepared.map((d) => d.hash),
        prepared.flatMap((d) => (d.name !== null ? [d.name] : [])),
      );
      const hashes = new Map(existing.map((e) => [e.content_hash, e]));
      const names = new Map<string, DocumentRow>();
      for (const e of existing) if (!names.has(e.file_path)) names.set(e.file_path, e);
      for (const [i, d] of prepared.entries()) {
        const byHash = hashes.get(d.hash);
        const byName = d.name !== null ? names.get(d.name) : undefined;
        if (byHash || byName) return { kind: 'duplicate', index: i, existing: byHash ?? byName, by: byHash ? 'content' : 'name' };
      }
      await this.quota.assertCanAdd(
        db,
        tenantId,
        prepared.length,
        prepared.reduce((s, d) => s + d.size, 0),
      );
      const ids: string[] = [];
      for (const d of prepared) {
        const row = await this.docs.insert(db, tenantId, kbId, { filePath: d.filePath, contentHash: d.hash, content: d.text, format: d.format, sizeBytes: d.size, trackId });
        await this.ingestion.enqueue(db, tenantId, kbId, row.id, requestId);
        ids.push(row.id);
      }
      return { kind: 'added', ids };
    });
    if (out.kind === 'added') {
      this.ingestion.enqueued();
      void this.refreshTenantGauges(tenantId);
    }
    return out;
  }

  async list(tenantId: string, kbId: string, status: DocumentStatus | null, limit: number, offset: number): Promise<Page<DocumentDto>> {
    const { rows, total } = await this.db.withTenantRead(tenantId, async (db) => {
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
      // Its jobs before its row: the order ingestion locks them in (a deadlock otherwise).
      await this.ingestion.lockJobs(db, tenantId, kbId, documentId);
      const doc = await this.docs.lockById(db, tenantId, kbId, documentId);
      if (!doc) throw AppException.notFound('The document');
      await this.ingestion.removeDocument(db, tenantId, kbId, documentId);
      await this.docs.delete(db, tenantId, kbId, documentId);
    });
    this.ingestion.removed(tenantId, kbId);
    void this.refreshTenantGauges(tenantId);
    return { document_id: documentId, deleted: true };
  }

  /**
   * Deletes each listed document of the KB in its own transaction (as
   * remove()); ids that are not documents of this KB (looked up in one
   * query first) are skipped. Returns the ids deleted and the ids skipped.
   */
  async removeMany(tenantId: string, kbId: string, documentIds: string[]): Promise<{ deleted: string[]; skipped: string[] }> {
    const deleted: string[] = [];
    const skipped: string[] = [];
    const uuids = documentIds.filter((id) => UUID.test(id)).map((id) => id.toLowerCase());
    const present = await this.db.withTenant(tenantId, (db) => this.docs.existingIds(db, tenantId, kbId, uuids));
    for (const id of documentIds) {
      if (!UUID.test(id) || !present.has(id.toLowerCase())) {
        skipped.push(id);
        continue;
      }
      try {
        await this.remove(tenantId, kbId, id.toLowerCase());
        deleted.push(id);
      } catch (err) {
        if (!(err instanceof AppException && err.code === 'NOT_FOUND')) throw err;
        skipped.push(id);
      }
    }
    return { deleted, skipped };
  }

  /**
   * Deletes every document of the KB, with its chunks, jobs and the KB's
   * whole graph, in one transaction; returns how many documents went.
   */
  async removeAll(tenantId: string, kbId: string): Promise<number> {
    const n = await this.db.withTenant(tenantId, async (db) => {
      await this.assertKb(db, tenantId, kbId);
      await this.ingestion.lockJobs(db, tenantId, kbId, null);
      await this.docs.lockAll(db, tenantId, kbId);
      await this.ingestion.clearKnowledgeBase(db, tenantId, kbId);
      return this.docs.deleteAll(db, tenantId, kbId);
    });
    this.ingestion.removed(tenantId, kbId);
    void this.refreshTenantGauges(tenantId);
    return n;
  }

  /**
   * Drops the KB's ingestion jobs waiting to run; their documents become
   * failed with a "cancelled" error (reprocessFailed queues them again).
   * Documents being ingested right now finish. Returns how many were
   * cancelled and whether anything was pending or processing at all.
   */
  async cancelPending(tenantId: string, kbId: string): Promise<{ cancelled: number; busy: boolean }> {
    return this.db.withTenant(tenantId, async (db) => {
      await this.assertKb(db, tenantId, kbId);
      const counts = await this.docs.countByStatus(db, tenantId, kbId);
      const busy = (counts.pending ?? 0) + (counts.processing ?? 0) > 0;
      const dropped = await this.ingestion.dropPending(db, tenantId, kbId);
      const cancelled = await this.docs.setStatusWhere(
        db,
        tenantId,
        kbId,
        dropped,
        ['pending', 'processing'],
        'failed',
        'Ingestion cancelled before it started (cancel_pipeline).',
      );
      return { cancelled: cancelled.length, busy };
    });
  }

  /** Queues every failed document of the KB for ingestion again (status pending, error cleared); returns how many. */
  async reprocessFailed(tenantId: string, kbId: string): Promise<number> {
    const requestId = this.context.requestId ?? null;
    const ids = await this.db.withTenant(tenantId, async (db) => {
      await this.assertKb(db, tenantId, kbId);
      const failed = await this.docs.resetFailed(db, tenantId, kbId);
      await this.ingestion.requeue(db, tenantId, kbId, failed, requestId);
      return failed;
    });
    if (ids.length) this.ingestion.enqueued();
    return ids.length;
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
