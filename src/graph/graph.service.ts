import { Injectable } from '@nestjs/common';
import { Page } from '../common/envelope';
import { DatabaseService } from '../database/database.service';
import { KnowledgeBasesService } from '../knowledge-bases/knowledge-bases.service';
import { GraphEdgeRow, GraphNodeRow, GraphRepository } from './graph.repository';
import type { KnowledgeGraph } from './graph.types';

export type { GraphEdge, GraphNode, KnowledgeGraph } from './graph.types';

/**
 * LightRAG's graph view: the subgraph reached by breadth-first search from
 * the entity named `label` (or from the best-connected entities for `*`), at
 * most `maxDepth` hops and `maxNodes` nodes. Node ids are entity names, as in
 * LightRAG's /graphs.
 */
@Injectable()
export class GraphService {
  constructor(
    private readonly db: DatabaseService,
    private readonly graph: GraphRepository,
    private readonly kbs: KnowledgeBasesService,
  ) {}

  async labels(tenantId: string, kbId: string, limit: number, offset: number): Promise<Page<string>> {
    await this.kbs.assertExists(tenantId, kbId);
    const { rows, total } = await this.db.withTenantRead(tenantId, (db) => this.graph.labels(db, tenantId, kbId, limit, offset));
    return new Page(rows, total, limit, offset);
  }

  /** At most `cap` entity names, alphabetical. */
  async allLabels(tenantId: string, kbId: string, cap: number): Promise<string[]> {
    await this.kbs.assertExists(tenantId, kbId);
    return this.db.withTenantRead(tenantId, (db) => this.graph.allLabels(db, tenantId, kbId, cap));
  }

  async popularLabels(tenantId: string, kbId: string, limit: number): Promise<string[]> {
    await this.kbs.assertExists(tenantId, kbId);
    return this.db.withTenantRead(tenantId, (db) => this.graph.popularLabels(db, tenantId, kbId, limit));
  }

  async searchLabels(tenantId: string, kbId: string, q: string, limit: number): Promise<string[]> {
    await this.kbs.assertExists(tenantId, kbId);
    return this.db.withTenantRead(tenantId, (db) => this.graph.searchLabels(db, tenantId, kbId, q, limit));
  }

  async entityExists(tenantId: string, kbId: string, name: string): Promise<boolean> {
    await this.kbs.assertExists(tenantId, kbId);
    return this.db.withTenantRead(tenantId, (db) => this.graph.entityExists(db, tenantId, kbId, name));
  }

  async subgraph(tenantId: string, kbId: string, label: string, maxDepth: number, maxNodes: number): Promise<KnowledgeGraph> {
    await this.kbs.assertExists(tenantId, kbId);
    return this.db.withTenantRead(tenantId, async (db) => {
      const nodes = new Map<string, GraphNodeRow>();
      const edges = new Map<string, GraphEdgeRow>();
      let truncated = false;
      const start = await this.graph.startNodes(db, tenantId, kbId, label, maxNodes + 1);
      if (start.length > maxNodes) truncated = true;
      for (const n of start.slice(0, maxNodes)) nodes.set(n.id, n);
      let frontier = [...nodes.keys()];
      for (let depth = 0; depth < maxDepth && frontier.length && !truncated; depth++) {
        const found = await this.graph.edgesOf(db, tenantId, kbId, frontier, maxNodes * 10);
        const next: string[] = [];
        for (const e of found) {
          for (const id of [e.source_id, e.target_id]) {
            if (nodes.has(id) || next.includes(id)) continue;
            if (nodes.size + next.length >= maxNodes) {
              truncated = true;
              continue;
            }
            next.push(id);
          }
        }
        for (const n of await this.graph.nodesByIds(db, tenantId, kbId, next)) nodes.set(n.id, n);
        for (const e of found) if (nodes.has(e.source_id) && nodes.has(e.target_id)) edges.set(e.id, e);
        frontier = next;
      }
      // Edges among the nodes kept at the last level too.
      for (const e of await this.graph.edgesOf(db, tenantId, kbId, [...nodes.keys()], maxNodes * 10)) if (nodes.has(e.source_id) && nodes.has(e.target_id)) edges.set(e.id, e);
      const nameOf = (id: string) => nodes.get(id)!.name;
      return {
        nodes: [...nodes.values()].map((n) => ({ id: n.name, labels: [n.name], properties: { entity_id: n.name, entity_type: n.type, description: n.description } })),
        edges: [...edges.values()].map((e) => ({
          id: e.id,
          type: 'DIRECTED',
          source: nameOf(e.source_id),
          target: nameOf(e.target_id),
          properties: { weight: Number(e.weight), keywords: e.keywords, description: e.description },
        })),
        is_truncated: truncated,
      };
    });
  }
}
