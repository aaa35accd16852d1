import { Injectable } from '@nestjs/common';
import type { Db } from '../database/database.service';

export type DocumentStatus = 'pending' | 'processing' | 'processed' | 'failed';

export interface DocumentRow {
  tenant_id: string;
  kb_id: string;
  id: string;
  file_path: string;
  content_hash: string;
  format: string;
  size_bytes: string | number;
  status: DocumentStatus;
  error: string | null;
  chunks_count: number;
  track_id: string;
  created_at: Date;
  updated_at: Date;
}

/** Every column but the content (which can be megabytes). */
const COLUMNS = `tenant_id, kb_id, id, file_path, content_hash, format, size_bytes, status, error, chunks_count, track_id, created_at, updated_at`;

/** SQL for documents; every method takes the tenant and KB ids. */
@Injectable()
export class DocumentsRepository {
  async findByHashes(db: Db, tenantId: string, kbId: string, hashes: string[]): Promise<Array<{ id: string; content_hash: string }>> {
    return db.many<{ id: string; content_hash: string }>(`SELECT id, content_hash FROM documents WHERE tenant_id = $1 AND kb_id = $2 AND content_hash = ANY($3::text[])`, [
      tenantId,
      kbId,
      hashes,
    ]);
  }

  async insert(
    db: Db,
    tenantId: string,
    kbId: string,
    doc: { filePath: string; contentHash: string; content: string; format: string; sizeBytes: number; trackId: string },
  ): Promise<DocumentRow> {
    const row = await db.one<DocumentRow>(
      `INSERT INTO documents (tenant_id, kb_id, file_path, content_hash, content, format, size_bytes, track_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
      [tenantId, kbId, doc.filePath, doc.contentHash, doc.content, doc.format, doc.sizeBytes, doc.trackId],
    );
    return row!;
  }

  async list(db: Db, tenantId: string, kbId: string, status: DocumentStatus | null, limit: number, offset: number): Promise<{ rows: DocumentRow[]; total: number }> {
    const rows = await db.many<DocumentRow>(
      `SELECT ${COLUMNS} FROM documents
       WHERE tenant_id = $1 AND kb_id = $2 AND ($3::text IS NULL OR status = $3)
       ORDER BY created_at DESC, id LIMIT $4 OFFSET $5`,
      [tenantId, kbId, status, limit, offset],
    );
    const count = await db.one<{ n: number }>(`SELECT count(*)::int AS n FROM documents WHERE tenant_id = $1 AND kb_id = $2 AND ($3::text IS NULL OR status = $3)`, [
      tenantId,
      kbId,
      status,
    ]);
    return { rows, total: count?.n ?? 0 };
  }

  async findById(db: Db, tenantId: string, kbId: string, documentId: string): Promise<DocumentRow | undefined> {
    return db.one<DocumentRow>(`SELECT ${COLUMNS} FROM documents WHERE tenant_id = $1 AND kb_id = $2 AND id = $3`, [tenantId, kbId, documentId]);
  }

  /** Locks the document row for the rest of the transaction (deletion vs. ingestion commit). */
  async lockById(db: Db, tenantId: string, kbId: string, documentId: string): Promise<DocumentRow | undefined> {
    return db.one<DocumentRow>(`SELECT ${COLUMNS} FROM documents WHERE tenant_id = $1 AND kb_id = $2 AND id = $3 FOR UPDATE`, [tenantId, kbId, documentId]);
  }

  /** Status of an imported document (compat: a LightRAG workspace's documents arrive already processed). */
  async setStatus(db: Db, tenantId: string, kbId: string, documentId: string, status: DocumentStatus, extra: { error?: string | null; chunksCount?: number } = {}): Promise<void> {
    await db.exec(
      `UPDATE documents SET status = $4, error = $5, chunks_count = COALESCE($6, chunks_count), updated_at = now()
       WHERE tenant_id = $1 AND kb_id = $2 AND id = $3`,
      [tenantId, kbId, documentId, status, extra.error ?? null, extra.chunksCount ?? null],
    );
  }

  async delete(db: Db, tenantId: string, kbId: string, documentId: string): Promise<boolean> {
    return (await db.exec(`DELETE FROM documents WHERE tenant_id = $1 AND kb_id = $2 AND id = $3`, [tenantId, kbId, documentId])) > 0;
  }

  async tenantTotals(db: Db, tenantId: string): Promise<{ documents: number; bytes: number }> {
    const row = await db.one<{ n: number; b: string | number }>(`SELECT count(*)::int AS n, COALESCE(sum(size_bytes), 0)::bigint AS b FROM documents WHERE tenant_id = $1`, [
      tenantId,
    ]);
    return { documents: row?.n ?? 0, bytes: Number(row?.b ?? 0) };
  }
}
