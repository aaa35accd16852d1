import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
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

/** A document row with the first characters of its text and its length in characters (LightRAG's doc status). */
export interface DocumentSummaryRow extends DocumentRow {
  content_summary: string;
  content_length: number;
}

/** Orders a document listing may take (LightRAG's sort fields). */
export type DocumentSortField = 'created_at' | 'updated_at' | 'id' | 'file_path';

/** Every column but the content (which can be megabytes). */
const COLUMNS = `tenant_id, kb_id, id, file_path, content_hash, format, size_bytes, status, error, chunks_count, track_id, created_at, updated_at`;
/** COLUMNS plus the first 100 characters of the text and its length in characters. */
const SUMMARY_COLUMNS = `${COLUMNS}, left(content, 100) AS content_summary, char_length(content) AS content_length`;
const SORT_COLUMNS: Record<DocumentSortField, string> = { created_at: 'created_at', updated_at: 'updated_at', id: 'id', file_path: 'file_path' };

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

  /**
   * Documents of the KB that an insert would duplicate: those with one of
   * `hashes` (at most one each: the hash is unique in a KB), and the oldest
   * document of each of `filePaths` — at most one row per argument.
   */
  async findDuplicates(db: Db, tenantId: string, kbId: string, hashes: string[], filePaths: string[]): Promise<DocumentRow[]> {
    return db.many<DocumentRow>(
      `(SELECT ${COLUMNS} FROM documents WHERE tenant_id = $1 AND kb_id = $2 AND content_hash = ANY($3::text[]))
       UNION ALL
       (SELECT DISTINCT ON (file_path) ${COLUMNS} FROM documents
        WHERE tenant_id = $1 AND kb_id = $2 AND md5(file_path) = ANY($5::text[]) AND file_path = ANY($4::text[]) ORDER BY file_path, created_at, id)`,
      // md5 as PostgreSQL computes it (of the UTF-8 bytes): the documents_file_path_md5_idx lookup.
      [tenantId, kbId, hashes, filePaths, filePaths.map((p) => createHash('md5').update(p, 'utf8').digest('hex'))],
    );
  }

  /**
   * Serialises the inserts of one KB that deduplicate by file path until the
   * transaction ends (no unique index covers file paths): the second of two
   * concurrent inserts of one name then sees the first one's row.
   */
  async lockNamesOfKb(db: Db, tenantId: string, kbId: string): Promise<void> {
    await db.one(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`documents-by-name:${tenantId}:${kbId}`]);
  }

  /** A page of the KB's documents with their summaries, in `statuses` (all when null), ordered by `sort`. */
  async listSummaries(
    db: Db,
    tenantId: string,
    kbId: string,
    opts: { statuses: DocumentStatus[] | null; sort: DocumentSortField; direction: 'asc' | 'desc'; limit: number; offset: number },
  ): Promise<DocumentSummaryRow[]> {
    const dir = opts.direction === 'asc' ? 'ASC' : 'DESC';
    return db.many<DocumentSummaryRow>(
      `SELECT ${SUMMARY_COLUMNS} FROM documents
       WHERE tenant_id = $1 AND kb_id = $2 AND ($3::text[] IS NULL OR status = ANY($3::text[]))
       ORDER BY ${SORT_COLUMNS[opts.sort]} ${dir}, id ${dir} LIMIT $4 OFFSET $5`,
      [tenantId, kbId, opts.statuses, opts.limit, opts.offset],
    );
  }

  /** How many documents of the KB are in each status (statuses with none are absent). */
  async countByStatus(db: Db, tenantId: string, kbId: string): Promise<Partial<Record<DocumentStatus, number>>> {
    const rows = await db.many<{ status: DocumentStatus; n: number }>(`SELECT status, count(*)::int AS n FROM documents WHERE tenant_id = $1 AND kb_id = $2 GROUP BY status`, [
      tenantId,
      kbId,
    ]);
    const out: Partial<Record<DocumentStatus, number>> = {};
    for (const r of rows) out[r.status] = r.n;
    return out;
  }

  /** The KB's documents added under one track id (at most `limit`), oldest first, and how many there are. */
  async findByTrackId(db: Db, tenantId: string, kbId: string, trackId: string, limit: number): Promise<{ rows: DocumentSummaryRow[]; total: number }> {
    const rows = await db.many<DocumentSummaryRow>(
      `SELECT ${SUMMARY_COLUMNS} FROM documents WHERE tenant_id = $1 AND kb_id = $2 AND track_id = $3 ORDER BY created_at, id LIMIT $4`,
      [tenantId, kbId, trackId, limit],
    );
    const count =
      rows.length < limit
        ? rows.length
        : ((await db.one<{ n: number }>(`SELECT count(*)::int AS n FROM documents WHERE tenant_id = $1 AND kb_id = $2 AND track_id = $3`, [tenantId, kbId, trackId]))?.n ?? 0);
    return { rows, total: count };
  }

  /** When the oldest document of the KB still waiting for or in ingestion was added (null when none is). */
  async oldestActive(db: Db, tenantId: string, kbId: string): Promise<Date | null> {
    const row = await db.one<{ at: Date | null }>(`SELECT min(created_at) AS at FROM documents WHERE tenant_id = $1 AND kb_id = $2 AND status IN ('pending', 'processing')`, [
      tenantId,
      kbId,
    ]);
    return row?.at ?? null;
  }

  /** The KB's most recently changed documents (no content), newest first. */
  async recentlyUpdated(db: Db, tenantId: string, kbId: string, limit: number): Promise<DocumentRow[]> {
    return db.many<DocumentRow>(`SELECT ${COLUMNS} FROM documents WHERE tenant_id = $1 AND kb_id = $2 ORDER BY updated_at DESC, id LIMIT $3`, [tenantId, kbId, limit]);
  }

  /** Sets the given documents to `status` with `error` (only those still in one of `from`); returns the ids changed. */
  async setStatusWhere(db: Db, tenantId: string, kbId: string, ids: string[], from: DocumentStatus[], status: DocumentStatus, error: string | null): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await db.many<{ id: string }>(
      `UPDATE documents SET status = $5, error = $6, updated_at = now()
       WHERE tenant_id = $1 AND kb_id = $2 AND id = ANY($3::uuid[]) AND status = ANY($4::text[]) RETURNING id`,
      [tenantId, kbId, ids, from, status, error],
    );
    return rows.map((r) => r.id);
  }

  /** The failed documents of the KB back to pending (their error cleared); returns their ids. */
  async resetFailed(db: Db, tenantId: string, kbId: string): Promise<string[]> {
    const rows = await db.many<{ id: string }>(
      `UPDATE documents SET status = 'pending', error = NULL, updated_at = now() WHERE tenant_id = $1 AND kb_id = $2 AND status = 'failed' RETURNING id`,
      [tenantId, kbId],
    );
    return rows.map((r) => r.id);
  }

  /** Locks every document row of the KB for the rest of the transaction (whole-KB deletion vs. ingestion commits). */
  async lockAll(db: Db, tenantId: string, kbId: string): Promise<number> {
    const row = await db.one<{ n: number }>(`SELECT count(*)::int AS n FROM (SELECT 1 FROM documents WHERE tenant_id = $1 AND kb_id = $2 FOR UPDATE) locked`, [tenantId, kbId]);
    return row?.n ?? 0;
  }

  /** Deletes every document of the KB (their chunks, jobs and staging rows go by cascade); returns how many. */
  async deleteAll(db: Db, tenantId: string, kbId: string): Promise<number> {
    return db.exec(`DELETE FROM documents WHERE tenant_id = $1 AND kb_id = $2`, [tenantId, kbId]);
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

  /** Which of `ids` are documents of the KB. */
  async existingIds(db: Db, tenantId: string, kbId: string, ids: string[]): Promise<Set<string>> {
    const rows = await db.many<{ id: string }>(`SELECT id FROM documents WHERE tenant_id = $1 AND kb_id = $2 AND id = ANY($3::uuid[])`, [tenantId, kbId, ids]);
    return new Set(rows.map((r) => r.id));
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
