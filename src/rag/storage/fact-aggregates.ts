/**
 * A fact's description, keywords and weight are read from its support rows
 * (LightRAG merges them into the node/edge on every insert). Entity and
 * relation rows stay immutable after insert, so a new document mentioning a
 * known entity never rewrites it: an UPDATE of a row with a vector column
 * would insert a new tuple into the HNSW index every time (measured: most of
 * the ingestion time on PGlite). Deleting a document needs no repair either:
 * its support rows go, and what remains is the fact.
 *
 * `e` / `r` are the aliases of the entities / relations row in the query.
 */
const MAX_DESCRIPTIONS = 8;

export const ENTITY_DESCRIPTION = (e: string) => `COALESCE((
    SELECT string_agg(x.description, E'\\n' ORDER BY x.description)
    FROM (SELECT DISTINCT ec.description FROM entity_chunks ec
          WHERE ec.entity_id = ${e}.id AND ec.description <> '' LIMIT ${MAX_DESCRIPTIONS}) x
  ), ${e}.description)`;

export const RELATION_DESCRIPTION = (r: string) => `COALESCE((
    SELECT string_agg(x.description, E'\\n' ORDER BY x.description)
    FROM (SELECT DISTINCT rc.description FROM relation_chunks rc
          WHERE rc.relation_id = ${r}.id AND rc.description <> '' LIMIT ${MAX_DESCRIPTIONS}) x
  ), ${r}.description)`;

export const RELATION_KEYWORDS = (r: string) => `COALESCE((
    SELECT string_agg(x.keywords, ', ' ORDER BY x.keywords)
    FROM (SELECT DISTINCT rc.keywords FROM relation_chunks rc
          WHERE rc.relation_id = ${r}.id AND rc.keywords <> '' LIMIT ${MAX_DESCRIPTIONS}) x
  ), ${r}.keywords)`;

/** LightRAG sums an edge's weights over its mentions. */
export const RELATION_WEIGHT = (r: string) => `COALESCE((SELECT sum(rc.weight) FROM relation_chunks rc WHERE rc.relation_id = ${r}.id), ${r}.weight)`;
