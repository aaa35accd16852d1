import { Injectable } from '@nestjs/common';
import type { Db } from '../database/database.service';
import { rowsOf } from '../rag/storage/rows';

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
    return db.query(`SELECT id, content_hash FROM documents WHERE tenant_id = $1 AND kb_id = $2 AND content_hash = ANY($3::text[])`, [tenantId, kbId, hashes]);
  }

  async insert(
    db: Db,
    tenantId: string,
    kbId: string,
    doc: { filePath: string; contentHash: string; content: string; format: string; sizeBytes: number; trackId: string },
  ): Promise<DocumentRow> {
    const rows = await db.query(
      `INSERT INTO documents (tenant_id, kb_id, file_path, content_hash, content, format, size_bytes, track_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
      [tenantId, kbId, doc.filePath, doc.contentHash, doc.content, doc.format, doc.sizeBytes, doc.trackId],
    );
    return rows[0];
  }

  async list(db: Db, tenantId: string, kbId: string, status: DocumentStatus | null, limit: number, offset: number): Promise<{ rows: DocumentRow[]; total: number }> {
    const rows = await db.query(
      `SELECT ${COLUMNS} FROM documents
       WHERE tenant_id = $1 AND kb_id = $2 AND ($3::text IS NULL OR status = $3)
       ORDER BY created_at DESC, id LIMIT $4 OFFSET $5`,
      [tenantId, kbId, status, limit, offset],
    );
    const count = await db.query(`SELECT count(*)::int AS n FROM documents WHERE tenant_id = $1 AND kb_id = $2 AND ($3::text IS NULL OR status = $3)`, [
      tenantId,
      kbId,
      status,
    ]);
    return { rows, total: count[0].n };
  }

  async findById(db: Db, tenantId: string, kbId: string, documentId: string): Promise<DocumentRow | undefined> {
    const rows = await db.query(`SELECT ${COLUMNS} FROM documents WHERE tenant_id = $1 AND kb_id = $2 AND id = $3`, [tenantId, kbId, documentId]);
    return rows[0];
  }

  /** Locks the document row for the rest of the transaction (deletion vs. ingestion commit). */
  async lockById(db: Db, tenantId: string, kbId: string, documentId: string): Promise<DocumentRow | undefined> {
    const rows = await db.query(`SELECT ${COLUMNS} FROM documents WHERE tenant_id = $1 AND kb_id = $2 AND id = $3 FOR UPDATE`, [tenantId, kbId, documentId]);
    return rows[0];
  }

  /** Length of the stored text in characters (for reading it back in slices). */
  async contentLength(db: Db, tenantId: string, kbId: string, documentId: string): Promise<number | null> {
    const rows = await db.query(`SELECT char_length(content) AS n FROM documents WHERE tenant_id = $1 AND kb_id = $2 AND id = $3`, [tenantId, kbId, documentId]);
    return rows[0] ? Number(rows[0].n) : null;
  }

  /** One slice of the stored text: big documents are streamed to the chunker, never loaded whole. */
  async contentSlice(db: Db, tenantId: string, kbId: string, documentId: string, from: number, length: number): Promise<string> {
    const rows = await db.query(`SELECT substr(content, $4, $5) AS s FROM documents WHERE tenant_id = $1 AND kb_id = $2 AND id = $3`, [
      tenantId,
      kbId,
      documentId,
      from + 1,
      length,
    ]);
    return rows[0]?.s ?? '';
  }

  async setStatus(db: Db, tenantId: string, kbId: string, documentId: string, status: DocumentStatus, extra: { error?: string | null; chunksCount?: number } = {}): Promise<void> {
    await db.query(
      `UPDATE documents SET status = $4, error = $5, chunks_count = COALESCE($6, chunks_count), updated_at = now()
       WHERE tenant_id = $1 AND kb_id = $2 AND id = $3`,
      [tenantId, kbId, documentId, status, extra.error ?? null, extra.chunksCount ?? null],
    );
  }

  async delete(db: Db, tenantId: string, kbId: string, documentId: string): Promise<boolean> {
    const rows = rowsOf(await db.query(`DELETE FROM documents WHERE tenant_id = $1 AND kb_id = $2 AND id = $3 RETURNING id`, [tenantId, kbId, documentId]));
    return rows.length > 0;
  }

  async tenantTotals(db: Db, tenantId: string): Promise<{ documents: number; bytes: number }> {
    const rows = await db.query(`SELECT count(*)::int AS n, COALESCE(sum(size_bytes), 0)::bigint AS b FROM documents WHERE tenant_id = $1`, [tenantId]);
    return { documents: rows[0].n, bytes: Number(rows[0].b) };
  }
}
