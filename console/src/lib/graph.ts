/**
 * The graph explorer's data: the API's subgraph ({nodes, edges}, node ids are
 * entity names) as a graphology graph for sigma.js. Nodes get a starting
 * position on a circle (ForceAtlas2 then spreads them), a size by degree and a
 * colour by entity type; an edge whose end is not among the nodes is skipped,
 * and parallel edges are kept (a multi graph).
 */
import Graph from 'graphology';
import type { GraphEdge, GraphNode, KnowledgeGraph } from '../api/workspace';

export interface NodeAttributes {
  label: string;
  x: number;
  y: number;
  size: number;
  color: string;
  entityType: string;
  description: string;
}

export interface EdgeAttributes {
  label: string;
  size: number;
  color: string;
  keywords: string;
  description: string;
  weight: number;
}

export type StrataGraph = Graph<NodeAttributes, EdgeAttributes>;

/** Colour-blind-safe palette (Okabe–Ito), one colour per entity type in order of first appearance. */
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];

export function colourOf(types: string[], type: string): string {
  const i = types.indexOf(type);
  return PALETTE[(i < 0 ? types.length : i) % PALETTE.length];
}

export function toGraphology(data: KnowledgeGraph): StrataGraph {
  const g: StrataGraph = new Graph<NodeAttributes, EdgeAttributes>({ multi: true, type: 'directed', allowSelfLoops: true });
  const types: string[] = [];
  const n = Math.max(1, data.nodes.length);
  data.nodes.forEach((node: GraphNode, i) => {
    if (g.hasNode(node.id)) return;
    const type = node.properties?.entity_type || 'unknown';
    if (!types.includes(type)) types.push(type);
    const angle = (2 * Math.PI * i) / n;
    g.addNode(node.id, {
      label: node.properties?.entity_id || node.id,
      x: Math.cos(angle),
      y: Math.sin(angle),
      size: 4,
      color: colourOf(types, type),
      entityType: type,
      description: node.properties?.description ?? '',
    });
  });
  data.edges.forEach((e: GraphEdge) => {
    if (!g.hasNode(e.source) || !g.hasNode(e.target)) return;
    const weight = Number(e.properties?.weight ?? 1) || 1;
    g.addEdgeWithKey(g.hasEdge(e.id) ? `${e.id}:${g.size}` : e.id, e.source, e.target, {
      label: e.properties?.keywords ?? '',
      size: Math.min(6, 1 + Math.log2(1 + weight)),
      color: '#9aa4b1',
      keywords: e.properties?.keywords ?? '',
      description: e.properties?.description ?? '',
      weight,
    });
  });
  // Size by degree: hubs stand out, leaves stay visible.
  g.forEachNode((id) => g.setNodeAttribute(id, 'size', Math.min(18, 4 + 2 * Math.sqrt(g.degree(id)))));
  return g;
}

/** The entity types present, in the order their colours were given (for the legend). */
export function legendOf(g: StrataGraph): Array<{ type: string; color: string }> {
  const seen = new Map<string, string>();
  g.forEachNode((_, a) => {
    if (!seen.has(a.entityType)) seen.set(a.entityType, a.color);
  });
  return [...seen].map(([type, color]) => ({ type, color }));
}
