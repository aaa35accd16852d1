import { Injectable } from '@nestjs/common';
import type { Db } from '../database/database.service';
import { ENTITY_SUPPORT, RELATION_SUPPORT } from '../rag/storage/fact-aggregates';

export interface GraphNodeRow {
  id: string;
  name: string;
  type: string;
  description: string;
  degree: number;
}

export interface GraphEdgeRow {
  id: string;
  source_id: string;
  target_id: string;
  keywords: string;
  description: string;
  weight: number;
}

/** The graph routes' SQL: reads of one KB's knowledge graph (labels, neighbourhoods). */
@Injectable()
export class GraphRepository {
  async labels(db: Db, tenantId: string, kbId: string, limit: number, offset: number): Promise<{ rows: string[]; total: number }> {
    const rows = await db.many<{ name: string }>(`SELECT name FROM entities WHERE tenant_id = $1 AND kb_id = $2 ORDER BY name_key, id LIMIT $3 OFFSET $4`, [
      tenantId,
      kbId,
      limit,
      offset,
    ]);
    const count = await db.one<{ n: number }>(`SELECT count(*)::int AS n FROM entities WHERE tenant_id = $1 AND kb_id = $2`, [tenantId, kbId]);
    return { rows: rows.map((r) => r.name), total: count?.n ?? 0 };
  }

  /** Entities whose name matches the label (case-insensitive), or the best-connected ones for `*`. */
  async startNodes(db: Db, tenantId: string, kbId: string, label: string, limit: number): Promise<GraphNodeRow[]> {
    if (label === '*') {
      return db.many<GraphNodeRow>(
        `WITH top AS MATERIALIZED (
           SELECT e.id, e.name, e.name_key, e.type, e.description,
                  (SELECT count(*)::int FROM relations r WHERE r.tenant_id = $1 AND r.kb_id = $2 AND r.source_id = e.id)
                + (SELECT count(*)::int FROM relations r WHERE r.tenant_id = $1 AND r.kb_id = $2 AND r.target_id = e.id) AS degree
           FROM entities e WHERE e.tenant_id = $1 AND e.kb_id = $2
           ORDER BY degree DESC, e.name_key LIMIT $3
         )
         SELECT top.id, top.name, top.type, COALESCE(sup.description, top.description) AS description, top.degree
         FROM top ${ENTITY_SUPPORT('top', 'sup')}
         ORDER BY top.degree DESC, top.name_key`,
        [tenantId, kbId, limit],
      );
    }
    return db.many<GraphNodeRow>(
      `SELECT e.id, e.name, e.type, COALESCE(sup.description, e.description) AS description, 0 AS degree
       FROM entities e ${ENTITY_SUPPORT('e', 'sup')}
       WHERE e.tenant_id = $1 AND e.kb_id = $2 AND e.name_key = lower(btrim($3))`,
      [tenantId, kbId, label],
    );
  }

  /** The edges touching any of `ids`, heaviest first. */
  async edgesOf(db: Db, tenantId: string, kbId: string, ids: string[], limit: number): Promise<GraphEdgeRow[]> {
    if (!ids.length) return [];
    return db.many<GraphEdgeRow>(
      `SELECT r.id, r.source_id, r.target_id, COALESCE(sup.keywords, r.keywords) AS keywords, COALESCE(sup.description, r.description) AS description,
              COALESCE(sup.weight, 0) AS weight
       FROM relations r ${RELATION_SUPPORT('r', 'sup')}
       WHERE r.tenant_id = $1 AND r.kb_id = $2 AND (r.source_id = ANY($3::uuid[]) OR r.target_id = ANY($3::uuid[]))
       ORDER BY weight DESC, r.id
       LIMIT $4`,
      [tenantId, kbId, ids, limit],
    );
  }

  async nodesByIds(db: Db, tenantId: string, kbId: string, ids: string[]): Promise<GraphNodeRow[]> {
    if (!ids.length) return [];
    return db.many<GraphNodeRow>(
      `SELECT e.id, e.name, e.type, COALESCE(sup.description, e.description) AS description, 0 AS degree
       FROM entities e ${ENTITY_SUPPORT('e', 'sup')}
       WHERE e.tenant_id = $1 AND e.kb_id = $2 AND e.id = ANY($3::uuid[])`,
      [tenantId, kbId, ids],
    );
  }

  /** Every entity name of the KB, alphabetical, at most `cap` (LightRAG's /graph/label/list). */
  async allLabels(db: Db, tenantId: string, kbId: string, cap: number): Promise<string[]> {
    const rows = await db.many<{ name: string }>(`SELECT name FROM entities WHERE tenant_id = $1 AND kb_id = $2 ORDER BY name_key, id LIMIT $3`, [tenantId, kbId, cap]);
    return rows.map((r) => r.name);
  }

  /** The best-connected entity names, most relations first. */
  async popularLabels(db: Db, tenantId: string, kbId: string, limit: number): Promise<string[]> {
    const rows = await db.many<{ name: string }>(
      `SELECT e.name,
              (SELECT count(*) FROM relations r WHERE r.tenant_id = $1 AND r.kb_id = $2 AND r.source_id = e.id)
            + (SELECT count(*) FROM relations r WHERE r.tenant_id = $1 AND r.kb_id = $2 AND r.target_id = e.id) AS degree
       FROM entities e WHERE e.tenant_id = $1 AND e.kb_id = $2
       ORDER BY degree DESC, e.name_key LIMIT $3`,
      [tenantId, kbId, limit],
    );
    return rows.map((r) => r.name);
  }

  /** Entity names containing `q` (case-insensitive, literally: % and _ match themselves); exact, then prefix, then shortest first. */
  async searchLabels(db: Db, tenantId: string, kbId: string, q: string, limit: number): Promise<string[]> {
    const needle = q.trim().toLowerCase();
    const pattern = `%${needle.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = await db.many<{ name: string }>(
      `SELECT name FROM entities
       WHERE tenant_id = $1 AND kb_id = $2 AND name_key LIKE $3
       ORDER BY (name_key = $4) DESC, starts_with(name_key, $4) DESC, length(name_key), name_key
       LIMIT $5`,
      [tenantId, kbId, pattern, needle, limit],
    );
    return rows.map((r) => r.name);
  }

  async entityExists(db: Db, tenantId: string, kbId: string, name: string): Promise<boolean> {
    const row = await db.one<{ found: boolean }>(`SELECT EXISTS (SELECT 1 FROM entities WHERE tenant_id = $1 AND kb_id = $2 AND name_key = lower(btrim($3))) AS found`, [
      tenantId,
      kbId,
      name,
    ]);
    return row?.found === true;
  }
}
