import { Injectable } from '@nestjs/common';
import { DatabaseService, Db } from '../../database/database.service';
import type { Statement } from '../../database/inline-params';
import { ENTITY_SUPPORT, RELATION_SUPPORT, RELATION_WEIGHT } from '../storage/fact-aggregates';

export interface ChunkHit {
  chunk_id: string;
  document_id: string;
  file_path: string;
  content: string;
  score: number;
}

export interface EntityHit {
  id: string;
  name: string;
  type: string;
  description: string;
  score: number;
}

export interface RelationHit {
  id: string;
  source: string;
  target: string;
  source_id: string;
  target_id: string;
  keywords: string;
  description: string;
  weight: number;
  score: number;
}

/** Where a fact comes from: its supporting chunk ids and their documents' distinct file paths, each joined by "<SEP>" (LightRAG's field separator). */
export interface FactSource {
  id: string;
  chunk_ids: string;
  file_paths: string;
}

/** A KB's row counts in the vector-searched tables (capped: see `kbSizes`). */
export interface KbSizes {
  chunks: number;
  entities: number;
  relations: number;
}

/**
 * While the KB has at most this many rows in the searched table (chunks,
 * entities, relations: each decided on its own), vector search is exact (a
 * scan of the KB's rows, sorted by distance): it always returns the full
 * top_k and costs ~1–4 ms per 1 000 rows with TOASTed vectors
 * (chunks), 0.5–0.85× that with the vectors inline (entities and relations:
 * STORAGE PLAIN, migration InlineVectors1733100000000).
 * Above it, the HNSW index is used with pgvector's iterative scan (relaxed
 * order, then re-sorted), which keeps scanning until enough rows pass the KB
 * filter. One threshold for every table: HNSW on the SQuAD KB's relations
 * returned 89–91 % of the exact top 40 (bench/vector-choices.js), too lossy
 * for a lower per-table threshold. ADR 003 has the measurements.
 */
export const EXACT_SEARCH_MAX_ROWS = 20_000;

export interface ChunkSearch {
  vector: string;
  terms: string[];
  limit: number;
  exact: boolean;
}

/** A chunk search's two ranked lists. */
export interface ChunkLists {
  byVector: ChunkHit[];
  byText: ChunkHit[];
}

type ChunkSearchRow = ChunkHit & { list: 'vector' | 'text' };

function splitChunkLists(rows: ChunkSearchRow[]): ChunkLists {
  const pick = (list: 'vector' | 'text') => rows.filter((r) => r.list === list).map(({ list: _list, ...hit }) => hit);
  return { byVector: pick('vector'), byText: pick('text') };
}

/** pgvector's iterative index scans for the rest of the transaction (0.8+); ef_search kept within [40, 1000]. */
function iterativeScanStatement(efSearch: number): Statement {
  return {
    sql: `SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true), set_config('hnsw.ef_search', $1, true)`,
    params: [String(Math.min(1000, Math.max(40, efSearch)))],
  };
}

/**
 * The distance of row `t` to the query vector $3, as a select-list column.
 * Exact: `(embedding <=> $3) + 0`, which the HNSW index cannot serve, so the
 * planner filters by KB first and sorts. The ORDER BY (`orderOf`) names this
 * column instead of repeating the expression: a repeated expression is
 * evaluated twice per row, and each evaluation de-TOASTs the 4 KB vector
 * again (measured on the SQuAD KB on PGlite: the exact relation scan took
 * twice as long; de-TOASTing is ~85 % of an exact scan).
 */
function distanceOf(t: string, exact: boolean): string {
  return exact ? `(${t}.embedding <=> $3::vector) + 0` : `${t}.embedding <=> $3::vector`;
}

/** Exact: by the computed column, ties by id (deterministic at the cut). Index: the operator the HNSW index orders by. */
function orderOf(t: string, exact: boolean): string {
  return exact ? `distance, ${t}.id` : `${t}.embedding <=> $3::vector`;
}

/**
 * Naive mode's two searches in one statement (one round trip): the nearest
 * chunks by vector (plan chosen by `exact`) and the best full-text matches —
 * any of the query's words (an OR query; English stemming and stop words),
 * ranked by ts_rank with length normalisation. `terms` must be plain words
 * (the caller strips everything else), so to_tsquery cannot fail on syntax;
 * no terms, no text list. Each list is cut to `limit` on the chunks alone;
 * text and file path are read for the rows kept only (an OR query can
 * match most of a KB).
 */
export function chunkSearchStatement(tenantId: string, kbId: string, search: ChunkSearch): Statement {
  const withText = search.terms.length > 0;
  return {
    sql: `WITH by_vector AS MATERIALIZED (
       SELECT n.id, 1 - n.distance AS score
       FROM (
         SELECT c.id, ${distanceOf('c', search.exact)} AS distance
         FROM chunks c
         WHERE c.tenant_id = $1 AND c.kb_id = $2
         ORDER BY ${orderOf('c', search.exact)}
         LIMIT $4
       ) n
     )${
       withText
         ? `,
     by_text AS MATERIALIZED (
       SELECT c.id, ts_rank(c.tsv, q.query, 1) AS score
       FROM chunks c, to_tsquery('english', $5) AS q(query)
       WHERE c.tenant_id = $1 AND c.kb_id = $2 AND c.tsv @@ q.query
       ORDER BY score DESC, c.id
       LIMIT $4
     )`
         : ''
     },
     hits AS (
       SELECT 'vector' AS list, id, score FROM by_vector
       ${withText ? `UNION ALL SELECT 'text', id, score FROM by_text` : ''}
     )
     SELECT h.list, h.id AS chunk_id, c.document_id, d.file_path, c.content, h.score
     FROM hits h
     JOIN chunks c ON c.tenant_id = $1 AND c.kb_id = $2 AND c.id = h.id
     JOIN documents d ON d.tenant_id = $1 AND d.kb_id = $2 AND d.id = c.document_id
     ORDER BY h.list, h.score DESC, h.id`,
    params: [tenantId, kbId, search.vector, search.limit, ...(withText ? [search.terms.join(' | ')] : [])],
  };
}

/**
 * What naive mode sends after the tenant setup, in order: the iterative-scan
 * settings (index search only) and the chunk search. Exported for
 * bench/rag-query.js, which sends the same message through its own pool.
 */
export function chunkSearchStatements(tenantId: string, kbId: string, search: ChunkSearch): Statement[] {
  return [...(search.exact ? [] : [iterativeScanStatement(search.limit)]), chunkSearchStatement(tenantId, kbId, search)];
}

/**
 * The facts (id, score) a graph step starts from, as SQL: `rows` selects
 * them, `ids` is their ids as a uuid[] expression (the redundant `= ANY`
 * that lets the planner probe an index by fact id). Either the values a
 * caller gives ($3 ids, $4 scores) or a CTE of the same statement.
 */
interface Facts {
  rows: string;
  ids: string;
}

const GIVEN_FACTS: Facts = { rows: 'SELECT * FROM unnest($3::uuid[], $4::float8[]) AS f(id, score)', ids: '$3::uuid[]' };

/** The facts of CTE `cte` (columns id and score). */
const factsOf = (cte: string): Facts => ({ rows: `SELECT id, score FROM ${cte}`, ids: `ARRAY(SELECT id FROM ${cte})` });

/** CTE `nearest`: the `limit` entities nearest to $3 (plan by `exact`). */
function nearestEntitiesCte(exact: boolean, limit: string): string {
  return `nearest AS MATERIALIZED (
       SELECT e.id, e.name, e.type, e.description, ${distanceOf('e', exact)} AS distance
       FROM entities e
       WHERE e.tenant_id = $1 AND e.kb_id = $2
       ORDER BY ${orderOf('e', exact)}
       LIMIT ${limit}
     )`;
}

/** CTE `nearest`: the `limit` relations nearest to $3 (plan by `exact`). */
function nearestRelationsCte(exact: boolean, limit: string): string {
  return `nearest AS MATERIALIZED (
       SELECT r.id, r.source_id, r.target_id, r.keywords, r.description, r.weight, ${distanceOf('r', exact)} AS distance
       FROM relations r
       WHERE r.tenant_id = $1 AND r.kb_id = $2
       ORDER BY ${orderOf('r', exact)}
       LIMIT ${limit}
     )`;
}

/** The entity hits of the nearest rows in `from` (their text from the support rows), with their distance (the order). */
function entityHitsSelect(from: string): string {
  return `SELECT n.id, n.name, n.type, COALESCE(sup.description, n.description) AS description, 1 - n.distance AS score, n.distance
     FROM ${from} n ${ENTITY_SUPPORT('n', 'sup')}`;
}

/** The relation hits of the nearest rows in `from` (text and weight from the support rows, endpoint names), with their distance (the order). */
function relationHitsSelect(from: string): string {
  return `SELECT n.id, s.name AS source, t.name AS target, n.source_id, n.target_id,
            COALESCE(sup.keywords, n.keywords) AS keywords, COALESCE(sup.description, n.description) AS description, COALESCE(sup.weight, 0) AS weight,
            1 - n.distance AS score, n.distance
     FROM ${from} n ${RELATION_SUPPORT('n', 'sup')}
     JOIN entities s ON s.tenant_id = $1 AND s.kb_id = $2 AND s.id = n.source_id
     JOIN entities t ON t.tenant_id = $1 AND t.kb_id = $2 AND t.id = n.target_id`;
}

/**
 * Local mode: the relations touching the `found` entities, best entity score
 * first, then weight (order: score DESC, weight DESC, id). Candidates come
 * from the two endpoint indexes (the redundant `= ANY` lets the planner probe
 * them; joined to the found rows alone it estimated a hash join over a
 * sequential scan of the KB's relations cheaper, which it is not); the
 * aggregates (weight, then text) are computed for candidates, then only for
 * the rows kept.
 */
function relationsOfEntitiesQuery(found: Facts, limit: string): string {
  return `WITH found AS (${found.rows}),
       touching AS (
         SELECT r.id, f.score FROM found f JOIN relations r ON r.tenant_id = $1 AND r.kb_id = $2 AND r.source_id = f.id
         WHERE r.source_id = ANY(${found.ids})
         UNION ALL
         SELECT r.id, f.score FROM found f JOIN relations r ON r.tenant_id = $1 AND r.kb_id = $2 AND r.target_id = f.id
         WHERE r.target_id = ANY(${found.ids})
       ),
       candidates AS MATERIALIZED (
         SELECT id, max(score) AS score FROM touching GROUP BY id ORDER BY max(score) DESC, id LIMIT ${limit} * 3
       ),
       kept AS MATERIALIZED (
         SELECT c.id, c.score, ${RELATION_WEIGHT('c')} AS weight
         FROM candidates c
         ORDER BY c.score DESC, weight DESC, c.id
         LIMIT ${limit}
       )
       SELECT r.id, s.name AS source, t.name AS target, r.source_id, r.target_id,
              COALESCE(sup.keywords, r.keywords) AS keywords, COALESCE(sup.description, r.description) AS description, k.weight, k.score
       FROM kept k
       JOIN relations r ON r.tenant_id = $1 AND r.kb_id = $2 AND r.id = k.id
       ${RELATION_SUPPORT('r', 'sup')}
       JOIN entities s ON s.tenant_id = $1 AND s.kb_id = $2 AND s.id = r.source_id
       JOIN entities t ON t.tenant_id = $1 AND t.kb_id = $2 AND t.id = r.target_id`;
}

/** Global mode: the endpoints of the `found` relations, scored by their best relation (order: score DESC, id). */
function entitiesOfRelationsQuery(found: Facts, limit: string): string {
  return `WITH found AS (${found.rows}),
       ends AS (
         SELECT r.source_id AS entity_id, f.score FROM relations r JOIN found f ON f.id = r.id WHERE r.tenant_id = $1 AND r.kb_id = $2
         UNION ALL
         SELECT r.target_id, f.score FROM relations r JOIN found f ON f.id = r.id WHERE r.tenant_id = $1 AND r.kb_id = $2
       ),
       kept AS MATERIALIZED (
         SELECT entity_id, max(score) AS score FROM ends GROUP BY entity_id ORDER BY max(score) DESC, entity_id LIMIT ${limit}
       )
       SELECT e.id, e.name, e.type, COALESCE(sup.description, e.description) AS description, k.score
       FROM kept k
       JOIN entities e ON e.tenant_id = $1 AND e.kb_id = $2 AND e.id = k.entity_id
       ${ENTITY_SUPPORT('e', 'sup')}`;
}

/**
 * The chunks that support the `found` facts, ranked by the summed score of
 * the facts they support (order: score DESC, chunk_id). The support table is
 * entity_chunks or relation_chunks (a fixed name, never input). Chunks are
 * ranked on the support rows alone (the `= ANY` lets the planner probe the
 * support table's primary key by fact id) and text and file path are read
 * for the rows kept only. The sum runs in a fixed order, so chunks supported
 * by the same scores tie exactly whatever the plan, and ties go by chunk id.
 */
function chunksSupportingQuery(fact: 'entity' | 'relation', found: Facts, limit: string): string {
  const support = fact === 'entity' ? 'entity_chunks' : 'relation_chunks';
  return `WITH found AS (${found.rows}),
       ranked AS MATERIALIZED (
         SELECT s.chunk_id, sum(f.score ORDER BY f.score DESC, f.id) AS score
         FROM found f
         JOIN ${support} s ON s.tenant_id = $1 AND s.kb_id = $2 AND s.${fact}_id = f.id
         WHERE s.${fact}_id = ANY(${found.ids})
         GROUP BY s.chunk_id
         ORDER BY score DESC, s.chunk_id
         LIMIT ${limit}
       )
       SELECT c.id AS chunk_id, c.document_id, d.file_path, c.content, k.score
       FROM ranked k
       JOIN chunks c ON c.tenant_id = $1 AND c.kb_id = $2 AND c.id = k.chunk_id
       JOIN documents d ON d.tenant_id = $1 AND d.kb_id = $2 AND d.id = c.document_id`;
}

/** One graph branch's search: the query vector, top_k (facts), chunk_top_k (supporting chunks), and the plan. */
export interface BranchSearch {
  vector: string;
  topK: number;
  chunkTopK: number;
  exact: boolean;
}

/** What one branch found: the facts searched by vector (`found`, nearest first), the facts they lead to (`related`) and the supporting chunks. */
export interface LocalBranch {
  found: EntityHit[];
  related: RelationHit[];
  chunks: ChunkHit[];
}
export interface GlobalBranch {
  found: RelationHit[];
  related: EntityHit[];
  chunks: ChunkHit[];
}

/**
 * A whole graph branch as ONE statement, each list a JSON array in the order
 * the per-step methods return it (json_agg's ORDER BY):
 *  - local: the entities nearest to $3 (`searchEntities`), the relations
 *    touching them (`relationsOfEntities`) and the chunks supporting them
 *    (`chunksOfEntities`);
 *  - global: the relations nearest to $3 (`searchRelations`), their
 *    endpoints (`entitiesOfRelations`) and the chunks supporting them
 *    (`chunksOfRelations`).
 * The later steps start from the nearest rows' (id, 1 − distance), the same
 * values the per-step methods are given, so the lists are the same rows.
 */
export function branchStatement(branch: 'local' | 'global', tenantId: string, kbId: string, search: BranchSearch): Statement {
  const facts = factsOf('facts');
  const [nearest, hits, related, relatedOrder, fact] =
    branch === 'local'
      ? [nearestEntitiesCte(search.exact, '$4'), entityHitsSelect('nearest'), relationsOfEntitiesQuery(facts, '$4'), 'x.score DESC, x.weight DESC, x.id', 'entity' as const]
      : [nearestRelationsCte(search.exact, '$4'), relationHitsSelect('nearest'), entitiesOfRelationsQuery(facts, '$4'), 'x.score DESC, x.id', 'relation' as const];
  return {
    sql: `WITH ${nearest},
     facts AS MATERIALIZED (SELECT id, 1 - distance AS score FROM nearest),
     hits AS (${hits}),
     related AS (${related}),
     supporting AS (${chunksSupportingQuery(fact, facts, '$5')})
     SELECT (SELECT json_agg(x ORDER BY x.distance, x.id) FROM hits x) AS found,
            (SELECT json_agg(x ORDER BY ${relatedOrder}) FROM related x) AS related,
            (SELECT json_agg(x ORDER BY x.score DESC, x.chunk_id) FROM supporting x) AS chunks`,
    params: [tenantId, kbId, search.vector, search.topK, search.chunkTopK],
  };
}

/** What a graph mode reads: naive's chunk search (mix), the local and the global branch, each when asked for. */
export interface GraphSearch {
  chunks?: ChunkSearch;
  local?: BranchSearch;
  global?: BranchSearch;
  /** pgvector's iterative index scan with this ef_search for the whole read, when any search uses an index; null when all are exact. */
  efSearch: number | null;
}

export interface GraphLists {
  chunks?: ChunkLists;
  local?: LocalBranch;
  global?: GlobalBranch;
}

type BranchRow = { found: unknown; related: unknown; chunks: unknown };

/** JSON numbers as numbers (json_agg writes NaN and ±Infinity as strings). */
function numbersIn<T>(rows: unknown, fields: string[]): T[] {
  const list = (typeof rows === 'string' ? JSON.parse(rows) : (rows ?? [])) as Array<Record<string, unknown>>;
  for (const r of list) for (const f of fields) if (f in r) r[f] = Number(r[f]);
  return list as T[];
}

/**
 * Retrieval SQL, read-only and always filtered by (tenant_id, kb_id). `exact`
 * chooses the plan (`distanceOf`).
 */
@Injectable()
export class RetrievalRepository {
  constructor(private readonly database: DatabaseService) {}

  /**
   * Naive mode's whole read in ONE round trip (DatabaseService.readAsTenant):
   * the tenant setup, the iterative-scan settings when the index is used, and
   * the chunk search (see `chunkSearchStatements`).
   */
  async searchChunksInOneTrip(tenantId: string, kbId: string, search: ChunkSearch): Promise<ChunkLists> {
    return splitChunkLists(await this.database.readAsTenant<ChunkSearchRow>(tenantId, chunkSearchStatements(tenantId, kbId, search)));
  }

  /**
   * A graph mode's whole read in ONE round trip (DatabaseService.readEachAsTenant):
   * the tenant setup, the iterative-scan settings when an index is used, the
   * chunk search (mix) and each branch as one statement (`branchStatement`).
   */
  async searchGraphInOneTrip(tenantId: string, kbId: string, search: GraphSearch): Promise<GraphLists> {
    const statements: Statement[] = search.efSearch === null ? [] : [iterativeScanStatement(search.efSearch)];
    const at = { chunks: -1, local: -1, global: -1 };
    if (search.chunks) at.chunks = statements.push(chunkSearchStatement(tenantId, kbId, search.chunks)) - 1;
    if (search.local) at.local = statements.push(branchStatement('local', tenantId, kbId, search.local)) - 1;
    if (search.global) at.global = statements.push(branchStatement('global', tenantId, kbId, search.global)) - 1;
    const results = await this.database.readEachAsTenant<Record<string, unknown>>(tenantId, statements);
    const out: GraphLists = {};
    if (at.chunks >= 0) out.chunks = splitChunkLists(results[at.chunks] as unknown as ChunkSearchRow[]);
    const branch = (i: number) => {
      const row = results[i][0] as BranchRow;
      return {
        found: numbersIn<never>(row.found, ['score', 'weight']),
        related: numbersIn<never>(row.related, ['score', 'weight']),
        chunks: numbersIn<ChunkHit>(row.chunks, ['score']),
      };
    };
    if (at.local >= 0) out.local = branch(at.local);
    if (at.global >= 0) out.global = branch(at.global);
    return out;
  }

  /** The KB's sizes in a transaction of their own. */
  sizesOf(tenantId: string, kbId: string): Promise<KbSizes> {
    return this.database.withTenantRead(tenantId, (db) => this.kbSizes(db, tenantId, kbId));
  }

  /** Several reads of one KB in one transaction as the tenant (fact sources), through a KbReader bound to it. */
  read<T>(tenantId: string, kbId: string, work: (kb: KbReader) => Promise<T>): Promise<T> {
    return this.database.withTenantRead(tenantId, (db) => work(new KbReader(this, db, tenantId, kbId)));
  }

  /**
   * The KB's rows in each vector-searched table, each counted up to
   * EXACT_SEARCH_MAX_ROWS + 1 only (all the exact-or-index choice needs; the
   * count stays cheap however large the KB). Entities and relations
   * outnumber chunks many times over (SQuAD KB: 294 chunks, 2 301 entities,
   * 5 694 relations), so each table gets its own choice.
   */
  async kbSizes(db: Db, tenantId: string, kbId: string): Promise<KbSizes> {
    const capped = (table: string) => `(SELECT count(*)::int FROM (SELECT 1 FROM ${table} WHERE tenant_id = $1 AND kb_id = $2 LIMIT $3) x)`;
    const row = await db.one<KbSizes>(`SELECT ${capped('chunks')} AS chunks, ${capped('entities')} AS entities, ${capped('relations')} AS relations`, [
      tenantId,
      kbId,
      EXACT_SEARCH_MAX_ROWS + 1,
    ]);
    return { chunks: row!.chunks, entities: row!.entities, relations: row!.relations };
  }

  // The per-step reads below (searchEntities … chunksOfRelations) are no longer on a query's path:
  // searchGraphInOneTrip sends the same SQL fragments as one statement per branch. They stay as the step-by-step
  // reference the branch statements are tested against (retrieval-sql.int-spec) and for bench:vectors.

  async searchEntities(db: Db, tenantId: string, kbId: string, vector: string, limit: number, exact: boolean): Promise<EntityHit[]> {
    return db.many<EntityHit>(`WITH ${nearestEntitiesCte(exact, '$4')} ${entityHitsSelect('nearest')} ORDER BY n.distance, n.id`, [tenantId, kbId, vector, limit]);
  }

  async searchRelations(db: Db, tenantId: string, kbId: string, vector: string, limit: number, exact: boolean): Promise<RelationHit[]> {
    return db.many<RelationHit>(`WITH ${nearestRelationsCte(exact, '$4')} ${relationHitsSelect('nearest')} ORDER BY n.distance, n.id`, [tenantId, kbId, vector, limit]);
  }

  /**
   * Local mode: the relations touching the found entities, best entity score
   * first, then weight. Candidates come from the two endpoint indexes (the
   * redundant `= ANY` lets the planner probe them; joined to the unnest alone
   * it estimated a hash join over a sequential scan of the KB's relations
   * cheaper, which it is not); the aggregates (weight, then text) are
   * computed for candidates, then only for the rows kept.
   */
  async relationsOfEntities(db: Db, tenantId: string, kbId: string, entityIds: string[], scores: number[], limit: number): Promise<RelationHit[]> {
    if (!entityIds.length) return [];
    return db.many<RelationHit>(`${relationsOfEntitiesQuery(GIVEN_FACTS, '$5')} ORDER BY k.score DESC, k.weight DESC, k.id`, [tenantId, kbId, entityIds, scores, limit]);
  }

  /** Global mode: the endpoints of the found relations, scored by their best relation. */
  async entitiesOfRelations(db: Db, tenantId: string, kbId: string, relationIds: string[], scores: number[], limit: number): Promise<EntityHit[]> {
    if (!relationIds.length) return [];
    return db.many<EntityHit>(`${entitiesOfRelationsQuery(GIVEN_FACTS, '$5')} ORDER BY k.score DESC, e.id`, [tenantId, kbId, relationIds, scores, limit]);
  }

  /** The chunks that support the given entities, ranked by the summed score of the entities they support. */
  chunksOfEntities(db: Db, tenantId: string, kbId: string, entityIds: string[], scores: number[], limit: number): Promise<ChunkHit[]> {
    return this.chunksSupporting(db, 'entity', tenantId, kbId, entityIds, scores, limit);
  }

  /** The chunks that support the given relations, ranked by the summed score of the relations they support. */
  chunksOfRelations(db: Db, tenantId: string, kbId: string, relationIds: string[], scores: number[], limit: number): Promise<ChunkHit[]> {
    return this.chunksSupporting(db, 'relation', tenantId, kbId, relationIds, scores, limit);
  }

  /**
   * One query for both fact kinds: the support table is entity_chunks or
   * relation_chunks (a fixed name, never input). Chunks are ranked on the
   * support rows alone (the `= ANY` lets the planner probe the support
   * table's primary key by fact id) and text and file path are read for the
   * rows kept only. The sum runs in a fixed order, so chunks supported by the
   * same scores tie exactly whatever the plan, and ties go by chunk id.
   */
  private async chunksSupporting(db: Db, fact: 'entity' | 'relation', tenantId: string, kbId: string, factIds: string[], scores: number[], limit: number): Promise<ChunkHit[]> {
    if (!factIds.length) return [];
    return db.many<ChunkHit>(`${chunksSupportingQuery(fact, GIVEN_FACTS, '$5')} ORDER BY k.score DESC, k.chunk_id`, [tenantId, kbId, factIds, scores, limit]);
  }

  /**
   * For each fact id, in the order given: up to `perFact` supporting chunk
   * ids (lowest first) and the distinct non-empty file paths of their
   * documents. One index range scan per fact.
   */
  async factSources(db: Db, tenantId: string, kbId: string, fact: 'entity' | 'relation', ids: string[], perFact: number): Promise<FactSource[]> {
    if (!ids.length) return [];
    const support = fact === 'entity' ? 'entity_chunks' : 'relation_chunks';
    return db.many<FactSource>(
      `WITH f AS (SELECT * FROM unnest($3::uuid[]) WITH ORDINALITY AS f(id, n))
       SELECT f.id, COALESCE(src.chunk_ids, '') AS chunk_ids, COALESCE(src.file_paths, '') AS file_paths
       FROM f LEFT JOIN LATERAL (
         SELECT string_agg(x.chunk_id::text, '<SEP>' ORDER BY x.chunk_id) AS chunk_ids,
                string_agg(DISTINCT x.file_path, '<SEP>' ORDER BY x.file_path) FILTER (WHERE x.file_path <> '') AS file_paths
         FROM (
           SELECT s.chunk_id, d.file_path
           FROM ${support} s
           JOIN documents d ON d.tenant_id = $1 AND d.kb_id = $2 AND d.id = s.document_id
           WHERE s.tenant_id = $1 AND s.kb_id = $2 AND s.${fact}_id = f.id
           ORDER BY s.chunk_id
           LIMIT $4
         ) x
       ) src ON true
       ORDER BY f.n`,
      [tenantId, kbId, ids, perFact],
    );
  }
}

/** RetrievalRepository's reads bound to one transaction and one KB (see RetrievalRepository.read). */
export class KbReader {
  constructor(
    private readonly repo: RetrievalRepository,
    private readonly db: Db,
    private readonly tenantId: string,
    private readonly kbId: string,
  ) {}

  factSources(fact: 'entity' | 'relation', ids: string[], perFact: number): Promise<FactSource[]> {
    return this.repo.factSources(this.db, this.tenantId, this.kbId, fact, ids, perFact);
  }
}
