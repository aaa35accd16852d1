import { Injectable } from '@nestjs/common';
import type { Db } from '../../database/database.service';

/** A document's states as ingestion moves it (the documents table's `status`). */
export type IngestionStatus = 'pending' | 'processing' | 'processed' | 'failed';

/**
 * The ingestion's own SQL on the documents table: reading a stored text back
 * in slices and recording where its ingestion stands. The documents routes'
 * SQL (create, list, delete) is DocumentsRepository's; the job queue moves
 * documents to `processing` itself (JobQueueRepository.claim).
 */
@Injectable()
export class IngestedDocumentsRepository {
  /** Length of the stored text in characters (for reading it back in slices); null when the document is gone. */
  async contentLength(db: Db, tenantId: string, kbId: string, documentId: string): Promise<number | null> {
    const row = await db.one<{ n: number }>(`SELECT char_length(content) AS n FROM documents WHERE tenant_id = $1 AND kb_id = $2 AND id = $3`, [tenantId, kbId, documentId]);
    return row ? Number(row.n) : null;
  }

  /** One slice of the stored text: big documents are streamed to the chunker, never loaded whole. */
  async contentSlice(db: Db, tenantId: string, kbId: string, documentId: string, from: number, length: number): Promise<string> {
    const row = await db.one<{ s: string | null }>(`SELECT substr(content, $4, $5) AS s FROM documents WHERE tenant_id = $1 AND kb_id = $2 AND id = $3`, [
      tenantId,
      kbId,
      documentId,
      from + 1,
      length,
    ]);
    return row?.s ?? '';
  }

  /** Locks the document row until commit (its deletion waits for, or wins over, the ingestion commit); false when it is gone. */
  async lock(db: Db, tenantId: string, kbId: string, documentId: string): Promise<boolean> {
    return (await db.one(`SELECT id FROM documents WHERE tenant_id = $1 AND kb_id = $2 AND id = $3 FOR UPDATE`, [tenantId, kbId, documentId])) !== undefined;
  }

  async setStatus(db: Db, tenantId: string, kbId: string, documentId: string, status: IngestionStatus, extra: { error?: string | null; chunksCount?: number } = {}): Promise<void> {
    await db.exec(
      `UPDATE documents SET status = $4, error = $5, chunks_count = COALESCE($6, chunks_count), updated_at = now()
       WHERE tenant_id = $1 AND kb_id = $2 AND id = $3`,
      [tenantId, kbId, documentId, status, extra.error ?? null, extra.chunksCount ?? null],
    );
  }
}
