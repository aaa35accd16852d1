/** LightRAG's query modes (see QueryEngine); a KB's default_mode is one of them. */
export const QUERY_MODES = ['naive', 'local', 'global', 'hybrid', 'mix', 'bypass'] as const;
export type QueryMode = (typeof QUERY_MODES)[number];
