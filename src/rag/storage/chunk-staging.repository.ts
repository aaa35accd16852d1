import { Injectable } from '@nestjs/common';
import type { Db } from '../../database/database.service';
import { chunkColumns, NewChunk } from './graph-store.repository';

/**
 * A document's chunks between extraction and its commit (table chunk_staging,
 * migration 1732700000000): written batch by batch as the worker goes, moved
 * into `chunks` by the document's one commit. Every statement names
 * tenant_id, kb_id and the document; rows of other attempts are never read.
 */
@Injectable()
export class ChunkStagingRepository {
  /** Drops whatever earlier attempts (crashed, failed, lost) left for the document. */
  async clear(db: Db, tenantId: string, kbId: string, documentId: string, attempt?: string): Promise<void> {
    await db.exec(`DELETE FROM chunk_staging WHERE tenant_id = $1 AND kb_id = $2 AND document_id = $3 ${attempt ? 'AND attempt = $4' : ''}`, [
      tenantId,
      kbId,
      documentId,
      ...(attempt ? [attempt] : []),
    ]);
  }

  async stage(db: Db, tenantId: string, kbId: string, documentId: string, attempt: string, chunks: NewChunk[]): Promise<void> {
    if (!chunks.length) return;
    await db.exec(
      `INSERT INTO chunk_staging (tenant_id, kb_id, document_id, attempt, chunk_index, content, tokens, embedding)
       SELECT $1, $2, $3, $4, u.idx, u.content, u.tokens, u.embedding::vector
       FROM unnest($5::int[], $6::text[], $7::int[], $8::text[]) AS u(idx, content, tokens, embedding)`,
      [tenantId, kbId, documentId, attempt, ...chunkColumns(chunks)],
    );
  }

  /**
   * Inside the document's commit: moves this attempt's chunks into `chunks`
   * (one INSERT … SELECT, nothing passes through the app) and empties the
   * document's staging rows. Returns chunk index → new chunk id.
   */
  async publish(db: Db, tenantId: string, kbId: string, documentId: string, attempt: string): Promise<Map<number, string>> {
    const rows = await db.many<{ id: string; chunk_index: number }>(
      `INSERT INTO chunks (tenant_id, kb_id, document_id, chunk_index, content, tokens, embedding)
       SELECT s.tenant_id, s.kb_id, s.document_id, s.chunk_index, s.content, s.tokens, s.embedding
       FROM chunk_staging s
       WHERE s.tenant_id = $1 AND s.kb_id = $2 AND s.document_id = $3 AND s.attempt = $4
       ORDER BY s.chunk_index
       RETURNING id, chunk_index`,
      [tenantId, kbId, documentId, attempt],
    );
    await this.clear(db, tenantId, kbId, documentId);
    return new Map(rows.map((r) => [r.chunk_index, r.id]));
  }
}
