/**
 * A LightRAG workspace, read from its JSON working directory or from the
 * LIGHTRAG_* tables of a PostgreSQL database, in one neutral shape the import
 * writes into a Strata tenant and KB. Ids are LightRAG's own (doc-…, chunk-…).
 */
export interface WorkspaceChunk {
  sourceId: string;
  index: number;
  content: string;
  tokens: number;
}

export interface WorkspaceDocument {
  sourceId: string;
  filePath: string;
  content: string;
  chunks: WorkspaceChunk[];
}

export interface WorkspaceEntity {
  name: string;
  type: string;
  description: string;
  /** The chunks (LightRAG chunk ids) that support this entity. */
  chunkIds: string[];
}

export interface WorkspaceRelation {
  source: string;
  target: string;
  keywords: string;
  description: string;
  weight: number;
  chunkIds: string[];
}

/** An item of the source left out of the import, and why. */
export interface WorkspaceSkip {
  kind: 'document' | 'chunk' | 'entity' | 'relation';
  id: string;
  reason: string;
}

export interface Workspace {
  name: string;
  /** What the reader left out (a document without content, a chunk without its document). */
  skipped?: WorkspaceSkip[];
  documents: WorkspaceDocument[];
  entities: WorkspaceEntity[];
  relations: WorkspaceRelation[];
}

/** LightRAG joins several source ids (and merged descriptions) with this separator. */
export const GRAPH_FIELD_SEP = '<SEP>';

export function splitSourceIds(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String).filter(Boolean);
  if (typeof value !== 'string' || !value) return [];
  return value
    .split(GRAPH_FIELD_SEP)
    .map((s) => s.trim())
    .filter(Boolean);
}

export function joinDescriptions(value: string): string {
  return value
    .split(GRAPH_FIELD_SEP)
    .map((s) => s.trim())
    .filter(Boolean)
    .join('\n');
}
