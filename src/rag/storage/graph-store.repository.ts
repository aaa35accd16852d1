import { Injectable } from '@nestjs/common';
import type { Db } from '../../database/database.service';
import { EntitySupport, entitySupportRows, RelationSupport, relationSupportRows, SupportLinks } from './fact-support';

/**
 * pgvector's text form, exactly what the `pgvector` package's toSql gives
 * (each component's shortest round-trip decimal, as JSON.stringify writes
 * it); parameters are sent as text and cast with ::vector. A non-finite
 * component (which no vector column accepts) becomes 0. Built in one pass:
 * toSql's copy, map and stringify cost 2.5× this on a 1024-d query vector.
 */
export function toVector(v: ArrayLike<number>): string {
  let s = '[';
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    s += (i ? ',' : '') + (x === 0 || !Number.isFinite(x) ? '0' : String(x));
  }
  return s + ']';
}

export interface NewChunk {
  index: number;
  content: string;
  tokens: number;
  embedding: Embedding;
}

/** pgvector text, or numbers turned into it one insert batch at a time. */
export type Embedding = string | ArrayLike<number>;

const asVectorText = (e: Embedding): string => (typeof e === 'string' ? e : toVector(e));

export interface EntityFact {
  key: string;
  name: string;
  type: string;
  embedding: Embedding;
  /** chunk index → description from that chunk (the first few), then bare links */
  support: EntitySupport[];
  more: SupportLinks;
}

export interface RelationFact {
  sourceKey: string;
  targetKey: string;
  embedding: Embedding;
  support: RelationSupport[];
  more: Required<SupportLinks>;
}

const ROWS_PER_INSERT = 100;
const SUPPORT_ROWS_PER_INSERT = ROWS_PER_INSERT * 5;

/** Runs `work` on `source` in batches of `size` (one insert statement each), never holding more than one batch. */
async function inBatches<T>(source: Iterable<T>, size: number, work: (batch: T[]) => Promise<unknown>): Promise<void> {
  let batch: T[] = [];
  for (const row of source) {
    batch.push(row);
    if (batch.length >= size) {
      await work(batch);
      batch = [];
    }
  }
  if (batch.length) await work(batch);
}

/** The unnest columns of a chunk insert ($int[] index, $text[] content, $int[] tokens, $text[] vector), for `chunks` and `chunk_staging` alike. */
export function chunkColumns(chunks: NewChunk[]): [number[], string[], number[], string[]] {
  return [chunks.map((c) => c.index), chunks.map((c) => c.content), chunks.map((c) => c.tokens), chunks.map((c) => asVectorText(c.embedding))];
}

/**
 * Writes of the knowledge graph: one document's chunks and the facts they
 * support, and the removal of a document's contribution. Everything runs in
 * the caller's transaction; every statement names tenant_id and kb_id.
 */
@Injectable()
export class GraphStoreRepository {
  /** Removes the document's chunks (support rows go with them) and the facts left without support. */
  async removeDocumentContribution(db: Db, tenantId: string, kbId: string, documentId: string): Promise<void> {
    const touched = await this.factsSupportedBy(db, tenantId, kbId, documentId);
    await db.exec(`DELETE FROM chunks WHERE tenant_id = $1 AND kb_id = $2 AND document_id = $3`, [tenantId, kbId, documentId]);
    await this.repairFacts(db, tenantId, kbId, touched.entityIds, touched.relationIds);
  }

  /** Every entity of the KB, and by cascade its relations and the support rows of both. */
  async removeAllFacts(db: Db, tenantId: string, kbId: string): Promise<void> {
    await db.exec(`DELETE FROM entities WHERE tenant_id = $1 AND kb_id = $2`, [tenantId, kbId]);
  }

  async factsSupportedBy(db: Db, tenantId: string, kbId: string, documentId: string): Promise<{ entityIds: string[]; relationIds: string[] }> {
    const e = await db.many<{ entity_id: string }>(`SELECT DISTINCT entity_id FROM entity_chunks WHERE tenant_id = $1 AND kb_id = $2 AND document_id = $3`, [
      tenantId,
      kbId,
      documentId,
    ]);
    const r = await db.many<{ relation_id: string }>(`SELECT DISTINCT relation_id FROM relation_chunks WHERE tenant_id = $1 AND kb_id = $2 AND document_id = $3`, [
      tenantId,
      kbId,
      documentId,
    ]);
    return { entityIds: e.map((x) => x.entity_id), relationIds: r.map((x) => x.relation_id) };
  }

  /**
   * Facts with no support left disappear; the others keep only the support
   * that remains (their description, keywords and weight are read from it:
   * fact-aggregates.ts).
   */
  async repairFacts(db: Db, tenantId: string, kbId: string, entityIds: string[], relationIds: string[]): Promise<void> {
    if (relationIds.length) {
      await db.exec(
        `DELETE FROM relations r WHERE r.tenant_id = $1 AND r.kb_id = $2 AND r.id = ANY($3::uuid[])
           AND NOT EXISTS (SELECT 1 FROM relation_chunks rc WHERE rc.relation_id = r.id)`,
        [tenantId, kbId, relationIds],
      );
    }
    if (entityIds.length) {
      await db.exec(
        `DELETE FROM entities e WHERE e.tenant_id = $1 AND e.kb_id = $2 AND e.id = ANY($3::uuid[])
           AND NOT EXISTS (SELECT 1 FROM entity_chunks ec WHERE ec.entity_id = e.id)`,
        [tenantId, kbId, entityIds],
      );
    }
  }

  async insertChunks(db: Db, tenantId: string, kbId: string, documentId: string, chunks: NewChunk[]): Promise<Map<number, string>> {
    const ids = new Map<number, string>();
    await inBatches(chunks, ROWS_PER_INSERT, async (batch) => {
      const rows = await db.many<{ id: string; chunk_index: number }>(
        `INSERT INTO chunks (tenant_id, kb_id, document_id, chunk_index, content, tokens, embedding)
         SELECT $1, $2, $3, u.idx, u.content, u.tokens, u.embedding::vector
         FROM unnest($4::int[], $5::text[], $6::int[], $7::text[]) AS u(idx, content, tokens, embedding)
         RETURNING id, chunk_index`,
        [tenantId, kbId, documentId, ...chunkColumns(batch)],
      );
      for (const r of rows) ids.set(r.chunk_index, r.id);
    });
    return ids;
  }

  /** Inserts entities not yet in the KB (matched by normalised name; rows are never rewritten) and adds this document's support. */
  async mergeEntities(db: Db, tenantId: string, kbId: string, documentId: string, facts: EntityFact[], chunkIds: Map<number, string>): Promise<Map<string, string>> {
    const idsByKey = new Map<string, string>();
    await inBatches(facts, ROWS_PER_INSERT, async (batch) => {
      await db.exec(
        `INSERT INTO entities (tenant_id, kb_id, name, name_key, type, description, embedding)
         SELECT $1, $2, u.name, u.key, u.type, u.description, u.embedding::vector
         FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS u(name, key, type, description, embedding)
         ON CONFLICT (tenant_id, kb_id, name_key) DO NOTHING`,
        [
          tenantId,
          kbId,
          batch.map((f) => f.name),
          batch.map((f) => f.key),
          batch.map((f) => f.type),
          batch.map((f) => f.support[0]?.description ?? ''),
          batch.map((f) => asVectorText(f.embedding)),
        ],
      );
      const rows = await db.many<{ id: string; name_key: string }>(`SELECT id, name_key FROM entities WHERE tenant_id = $1 AND kb_id = $2 AND name_key = ANY($3::text[])`, [
        tenantId,
        kbId,
        batch.map((f) => f.key),
      ]);
      for (const r of rows) idsByKey.set(r.name_key, r.id);
    });
    function* support() {
      for (const f of facts) {
        for (const s of entitySupportRows(f)) {
          const chunkId = chunkIds.get(s.chunkIndex);
          if (chunkId) yield { entityId: idsByKey.get(f.key)!, chunkId, description: s.description };
        }
      }
    }
    await inBatches(support(), SUPPORT_ROWS_PER_INSERT, (batch) =>
      db.exec(
        `INSERT INTO entity_chunks (tenant_id, kb_id, entity_id, chunk_id, document_id, description)
         SELECT $1, $2, u.entity_id, u.chunk_id, $3, u.description
         FROM unnest($4::uuid[], $5::uuid[], $6::text[]) AS u(entity_id, chunk_id, description)
         ON CONFLICT (entity_id, chunk_id) DO NOTHING`,
        [tenantId, kbId, documentId, batch.map((s) => s.entityId), batch.map((s) => s.chunkId), batch.map((s) => s.description)],
      ),
    );
    return idsByKey;
  }

  /** Inserts relations not yet in the KB (one per unordered pair; rows never rewritten) and adds this document's support. */
  async mergeRelations(
    db: Db,
    tenantId: string,
    kbId: string,
    documentId: string,
    facts: RelationFact[],
    entityIds: Map<string, string>,
    chunkIds: Map<number, string>,
  ): Promise<void> {
    const usable = facts
      .map((f) => {
        const a = entityIds.get(f.sourceKey);
        const b = entityIds.get(f.targetKey);
        if (!a || !b || a === b) return null;
        const [source, target] = a < b ? [a, b] : [b, a];
        return { source, target, fact: f };
      })
      .filter((x): x is { source: string; target: string; fact: RelationFact } => x !== null);
    const idsByPair = new Map<string, string>();
    await inBatches(usable, ROWS_PER_INSERT, async (batch) => {
      const first = (x: (typeof batch)[number]) => x.fact.support[0];
      await db.exec(
        `INSERT INTO relations (tenant_id, kb_id, source_id, target_id, keywords, description, weight, embedding)
         SELECT $1, $2, u.source_id, u.target_id, u.keywords, u.description, 0, u.embedding::vector
         FROM unnest($3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[]) AS u(source_id, target_id, keywords, description, embedding)
         ON CONFLICT (tenant_id, kb_id, source_id, target_id) DO NOTHING`,
        [
          tenantId,
          kbId,
          batch.map((x) => x.source),
          batch.map((x) => x.target),
          batch.map((x) => first(x)?.keywords ?? ''),
          batch.map((x) => first(x)?.description ?? ''),
          batch.map((x) => asVectorText(x.fact.embedding)),
        ],
      );
      const rows = await db.many<{ id: string; source_id: string; target_id: string }>(
        `SELECT r.id, r.source_id, r.target_id
         FROM relations r JOIN unnest($3::uuid[], $4::uuid[]) AS u(source_id, target_id) ON r.source_id = u.source_id AND r.target_id = u.target_id
         WHERE r.tenant_id = $1 AND r.kb_id = $2`,
        [tenantId, kbId, batch.map((x) => x.source), batch.map((x) => x.target)],
      );
      for (const r of rows) idsByPair.set(`${r.source_id}|${r.target_id}`, r.id);
    });
    function* support() {
      for (const x of usable) {
        const relationId = idsByPair.get(`${x.source}|${x.target}`)!;
        for (const s of relationSupportRows(x.fact)) {
          const chunkId = chunkIds.get(s.chunkIndex);
          if (chunkId) yield { relationId, chunkId, ...s };
        }
      }
    }
    await inBatches(support(), SUPPORT_ROWS_PER_INSERT, (batch) =>
      db.exec(
        `INSERT INTO relation_chunks (tenant_id, kb_id, relation_id, chunk_id, document_id, keywords, description, weight)
         SELECT $1, $2, u.relation_id, u.chunk_id, $3, u.keywords, u.description, u.weight
         FROM unnest($4::uuid[], $5::uuid[], $6::text[], $7::text[], $8::float8[]) AS u(relation_id, chunk_id, keywords, description, weight)
         ON CONFLICT (relation_id, chunk_id) DO UPDATE SET weight = relation_chunks.weight + EXCLUDED.weight`,
        [
          tenantId,
          kbId,
          documentId,
          batch.map((s) => s.relationId),
          batch.map((s) => s.chunkId),
          batch.map((s) => s.keywords),
          batch.map((s) => s.description),
          batch.map((s) => s.weight),
        ],
      ),
    );
  }
}
