/**
 * The shapes of the KB workspace's API answers (documents, query, graph,
 * audit, usage, health): the server's DTOs in src/documents, src/queries,
 * src/graph, src/audit, src/usage and src/health.
 */

export const DOCUMENT_STATUSES = ['pending', 'processing', 'processed', 'failed'] as const;
export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number];

export interface StrataDocument {
  document_id: string;
  kb_id: string;
  file_path: string;
  status: DocumentStatus;
  chunks_count: number;
  error: string | null;
  track_id: string;
  content_hash: string;
  size_bytes: number;
  format: string;
  created_at: string;
  updated_at: string;
}

export interface DocumentAccepted {
  document_id: string;
  status: 'pending';
  track_id: string;
}

export const QUERY_MODES = ['mix', 'naive', 'local', 'global', 'hybrid', 'bypass'] as const;
export type QueryMode = (typeof QUERY_MODES)[number];

export interface Reference {
  document_id: string;
  file_path: string;
  chunk_id: string;
  score: number;
}

export interface ContextChunk {
  chunk_id: string;
  document_id: string;
  file_path: string;
  content: string;
  score: number;
}

export interface ContextEntity {
  name: string;
  type: string;
  description: string;
  score: number;
}

export interface ContextRelation {
  source: string;
  target: string;
  keywords: string;
  description: string;
  score: number;
}

export interface QueryContext {
  chunks: ContextChunk[];
  entities: ContextEntity[];
  relations: ContextRelation[];
}

export type { GraphEdge, GraphNode, KnowledgeGraph } from '../../../src/graph/graph.types';

export interface AuditEntry {
  id: string;
  seq?: string;
  kb_id: string | null;
  actor: string;
  action: string;
  resource_id: string | null;
  outcome: 'success' | 'denied' | 'failed';
  http_status: number | null;
  request_id: string | null;
  details: Record<string, unknown>;
  created_at: string;
}

/** GET /tenants/:id/audit-logs/verify. */
export interface ChainVerification {
  valid: boolean;
  checked: number;
  chain: string;
  first_broken_id?: string;
  first_broken_seq?: string;
  reason?: string;
  starts_at_seq?: string;
  head_seq?: string;
  head_hash?: string;
}

export interface UsageTotals {
  calls: number;
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  cost_usd: number;
}

export interface UsageReport {
  since: string;
  until: string;
  totals: UsageTotals;
  by_day: Array<{ day: string } & UsageTotals>;
  by_model: Array<{ provider: string; model: string; execution_mode: string } & UsageTotals>;
  by_kb: Array<{ kb_id: string | null } & UsageTotals>;
  by_api_key: Array<{ api_key_id: string | null } & UsageTotals>;
  unpriced_models: string[];
}

export interface Readiness {
  status: 'ok';
  database: string;
  invalidation: string;
  rate_limits: string;
}
