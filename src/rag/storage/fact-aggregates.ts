/**
 * A fact's description, keywords and weight are read from its support rows
 * (LightRAG merges them into the node/edge on every insert). Entity and
 * relation rows stay immutable after insert, so a new document mentioning a
 * known entity never rewrites it: an UPDATE of a row with a vector column
 * would insert a new tuple into the HNSW index every time (measured: most of
 * the ingestion time on PGlite). Deleting a document needs no repair either:
 * its support rows go, and what remains is the fact.
 *
 * Each helper is a LEFT JOIN LATERAL over one fact's support (one index range
 * scan), to be applied to the few rows a query keeps — never to candidates.
 * `e` / `r` name the entities / relations row, `as` the lateral's alias.
 */
const MAX_DESCRIPTIONS = 8;

/** Adds `${as}.description`. */
export const ENTITY_SUPPORT = (e: string, as: string) => `LEFT JOIN LATERAL (
    SELECT array_to_string((array_agg(DISTINCT ec.description) FILTER (WHERE ec.description <> ''))[1:${MAX_DESCRIPTIONS}], E'\\n') AS description
    FROM entity_chunks ec WHERE ec.entity_id = ${e}.id
  ) ${as} ON true`;

/** Adds `${as}.description`, `${as}.keywords` and `${as}.weight` (LightRAG sums an edge's weight over its mentions). */
export const RELATION_SUPPORT = (r: string, as: string) => `LEFT JOIN LATERAL (
    SELECT array_to_string((array_agg(DISTINCT rc.description) FILTER (WHERE rc.description <> ''))[1:${MAX_DESCRIPTIONS}], E'\\n') AS description,
           array_to_string((array_agg(DISTINCT rc.keywords) FILTER (WHERE rc.keywords <> ''))[1:${MAX_DESCRIPTIONS}], ', ') AS keywords,
           sum(rc.weight) AS weight
    FROM relation_chunks rc WHERE rc.relation_id = ${r}.id
  ) ${as} ON true`;

/** The weight alone (cheaper), for ordering a bounded set of candidates. */
export const RELATION_WEIGHT = (r: string) => `COALESCE((SELECT sum(rc.weight) FROM relation_chunks rc WHERE rc.relation_id = ${r}.id), 0)`;
