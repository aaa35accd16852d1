/**
 * The graph routes' answer (LightRAG's shape), on its own with no imports so
 * the console's bundle types its graph explorer with these same declarations
 * (console/src/api/workspace.ts re-exports them).
 */
export interface GraphNode {
  id: string;
  labels: string[];
  properties: { entity_id: string; entity_type: string; description: string };
}

export interface GraphEdge {
  id: string;
  type: string;
  source: string;
  target: string;
  properties: { weight: number; keywords: string; description: string };
}

export interface KnowledgeGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  is_truncated: boolean;
}
