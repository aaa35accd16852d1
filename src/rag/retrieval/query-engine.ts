import { Injectable } from '@nestjs/common';
import { QUERY_INLINE_MAX_CHARS, RagCompute } from '../compute/rag-compute';
import { EngineMetrics } from '../ports';
import type { QueryMode } from '../query-mode';
import type { AnswerChunk, AnswerEntity, AnswerInput, AnswerRelation, CallContext, ChatMessage, QueryKeywords, TokenUsage } from '../providers/provider.types';
import { lexicalRerank } from '../providers/lexical-rerank';
import { RagInstance, RagInstanceFactory } from '../rag-instance.factory';
import { toVector } from '../storage/graph-store.repository';
import { ChunkHit, EntityHit, EXACT_SEARCH_MAX_ROWS, FactSource, KbSizes, RelationHit, RetrievalRepository } from './retrieval.repository';
import { reciprocalRankFusion } from './rrf';

export interface QueryInput {
  query: string;
  mode?: QueryMode;
  topK?: number;
  chunkTopK?: number;
  /** Lexical re-rank of the fused candidates; default: the KB config (on). */
  enableRerank?: boolean;
  responseType?: string;
  history?: ChatMessage[];
  /** Extra instructions for the answer (LightRAG's user_prompt): they go into the answer prompt, not into retrieval. */
  userPrompt?: string;
  apiKeyId?: string;
  /** Mode bypass: this request's own system prompt (never kept for another request). */
  system?: string;
}

export interface RetrievedContext {
  chunks: AnswerChunk[];
  entities: AnswerEntity[];
  relations: AnswerRelation[];
}

export interface Reference {
  document_id: string;
  file_path: string;
  chunk_id: string;
  score: number;
}

/** What retrieval searched with and found before the top_k cut (LightRAG's /query/data metadata). */
export interface RetrievalDetails {
  keywords: QueryKeywords;
  entitiesFound: number;
  relationsFound: number;
  /** The id and weight of each relation of `context.relations`, and the id of each entity of `context.entities`, in the same order. */
  relationWeights: number[];
  relationIds: string[];
  entityIds: string[];
}

/** At most this many supporting chunk ids per fact in `factSources`. */
export const FACT_SOURCES_PER_FACT = 20;

export interface PreparedQuery {
  instance: RagInstance;
  mode: QueryMode;
  context: RetrievedContext;
  references: Reference[];
  details: RetrievalDetails;
  callContext: (purpose: CallContext['purpose']) => CallContext;
}

/** Plain words of a query, for the OR full-text query (no tsquery syntax can get through). */
export function textSearchTerms(query: string): string[] {
  const words = (query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => w.length > 1 && w.length < 64);
  return [...new Set(words)].slice(0, 32);
}

/**
 * In mix, the chunks reached through the graph vote with this weight next to
 * the direct (vector, full-text) lists: with the local co-occurrence graph
 * they are noisier than direct search (bench/retrieval-squad.js), yet they
 * still add chunks direct search misses. ADR 003.
 */
export const GRAPH_CHUNKS_WEIGHT_IN_MIX = 0.1;

/**
 * Weight of the fused rank score (scaled so the best candidate has 1) next to
 * BM25 computed over the candidates when re-ranking; tuned on
 * bench/retrieval-squad.js (ADR 003).
 */
export const RERANK_FUSION_WEIGHT = 0.5;

const round = (x: number) => Math.round(Number(x) * 1e6) / 1e6;

/**
 * LightRAG's query modes over one KB:
 *  - naive: chunks by vector search, fused (RRF) with full-text search;
 *  - local: low-level keywords → entities → their relations and supporting chunks;
 *  - global: high-level keywords → relations → their entities and supporting chunks;
 *  - hybrid: local + global; mix (default): hybrid + naive's chunks, all fused by RRF;
 *  - bypass: no retrieval; the query goes straight to the model.
 */
@Injectable()
export class QueryEngine {
  constructor(
    private readonly retrieval: RetrievalRepository,
    private readonly instances: RagInstanceFactory,
    private readonly metrics: EngineMetrics,
    private readonly compute: RagCompute,
  ) {}

  async prepare(tenantId: string, kbId: string, input: QueryInput): Promise<PreparedQuery> {
    const instance = await this.instances.get(tenantId, kbId);
    const mode = input.mode ?? instance.config.defaultMode;
    const topK = input.topK ?? instance.config.topK;
    const chunkTopK = input.chunkTopK ?? instance.config.chunkTopK;
    // A long query's local keyword extraction and embedding run in a compute thread, not on the request thread.
    const offload = input.query.length > QUERY_INLINE_MAX_CHARS ? this.compute.forQuery(tenantId) : undefined;
    const callContext = (purpose: CallContext['purpose']): CallContext => ({ tenantId, kbId, apiKeyId: input.apiKeyId, purpose, offload });
    if (mode === 'bypass') {
      const details = { keywords: { highLevel: [], lowLevel: [] }, entitiesFound: 0, relationsFound: 0, relationWeights: [], relationIds: [], entityIds: [] };
      return { instance, mode, context: { chunks: [], entities: [], relations: [] }, references: [], details, callContext };
    }

    const { providers } = instance;
    const wantsGraph = mode !== 'naive';
    const keywords = wantsGraph ? await this.keywordsFor(instance, input.query, input.history ?? [], callContext('keywords')) : { highLevel: [], lowLevel: [] };
    const texts = [input.query];
    if (wantsGraph) texts.push(keywords.lowLevel.join(', ') || input.query, keywords.highLevel.join(', ') || input.query);
    const vectors = (await providers.embedding.embed(texts, callContext('embedding'))).map((v) => toVector(v));
    const [queryVec, lowVec, highVec] = vectors;

    const chunkSearch = (exact: boolean) => ({ vector: queryVec, terms: textSearchTerms(input.query), limit: chunkTopK * 2, exact });
    const chunkLists: ChunkHit[][] = [];
    const listWeights: number[] = [];
    let entities: EntityHit[] = [];
    let relations: RelationHit[] = [];
    if (mode === 'naive') {
      // The hot path: tenant setup and the search in a single round trip.
      const exact = await this.exactSearch(instance);
      const { byVector, byText } = await this.retrieval.searchChunksInOneTrip(tenantId, kbId, chunkSearch(exact.chunks));
      chunkLists.push(byVector, byText);
      listWeights.push(1, 1);
    } else {
      // Every graph mode in one round trip too: the tenant setup, the chunk search (mix) and each branch as one statement.
      const exact = await this.exactSearch(instance);
      const branch = (vector: string, exactPlan: boolean) => ({ vector, topK, chunkTopK, exact: exactPlan });
      const found = await this.retrieval.searchGraphInOneTrip(tenantId, kbId, {
        chunks: mode === 'mix' ? chunkSearch(exact.chunks) : undefined,
        local: mode === 'local' || mode === 'hybrid' || mode === 'mix' ? branch(lowVec, exact.entities) : undefined,
        global: mode === 'global' || mode === 'hybrid' || mode === 'mix' ? branch(highVec, exact.relations) : undefined,
        efSearch: exact.chunks && exact.entities && exact.relations ? null : Math.max(topK, chunkTopK) * 2,
      });
      if (found.chunks) {
        chunkLists.push(found.chunks.byVector, found.chunks.byText);
        listWeights.push(1, 1);
      }
      if (found.local) {
        entities = mergeBy(entities, found.local.found, (e) => e.id);
        relations = mergeBy(relations, found.local.related, (r) => r.id);
        chunkLists.push(found.local.chunks);
        listWeights.push(mode === 'mix' ? GRAPH_CHUNKS_WEIGHT_IN_MIX : 1);
      }
      if (found.global) {
        relations = mergeBy(relations, found.global.found, (r) => r.id);
        entities = mergeBy(entities, found.global.related, (e) => e.id);
        chunkLists.push(found.global.chunks);
        listWeights.push(mode === 'mix' ? GRAPH_CHUNKS_WEIGHT_IN_MIX : 1);
      }
    }
    // Fusion and re-rank are CPU work: done after the connection went back to the pool.
    const fused = reciprocalRankFusion(chunkLists, (c) => c.chunk_id, undefined, listWeights).map(({ item, score }) => ({
      chunk_id: item.chunk_id,
      document_id: item.document_id,
      file_path: item.file_path,
      content: item.content,
      score,
    }));
    const chunks = ((input.enableRerank ?? instance.config.enableRerank) ? rerankFused(input.query, fused) : fused)
      .slice(0, chunkTopK)
      .map((c) => ({ ...c, score: round(c.score) }));
    const keptRelations = relations.slice(0, topK);
    const keptEntities = entities.slice(0, topK);
    const context: RetrievedContext = {
      chunks,
      entities: keptEntities.map((e) => ({ name: e.name, type: e.type, description: e.description, score: round(e.score) })),
      relations: keptRelations.map((r) => ({ source: r.source, target: r.target, keywords: r.keywords, description: r.description, score: round(r.score) })),
    };
    const references = context.chunks.map((c) => ({ document_id: c.document_id, file_path: c.file_path, chunk_id: c.chunk_id, score: c.score }));
    const details: RetrievalDetails = {
      keywords,
      entitiesFound: entities.length,
      relationsFound: relations.length,
      relationWeights: keptRelations.map((r) => Number(r.weight) || 0),
      relationIds: keptRelations.map((r) => r.id),
      entityIds: keptEntities.map((e) => e.id),
    };
    return { instance, mode, context, references, details, callContext };
  }

  async answer(prepared: PreparedQuery, input: QueryInput): Promise<{ text: string; usage: TokenUsage }> {
    return prepared.instance.providers.answerer.answer(this.answerInput(prepared, input), prepared.callContext('answer'));
  }

  stream(prepared: PreparedQuery, input: QueryInput): AsyncIterable<string> {
    return prepared.instance.providers.answerer.stream(this.answerInput(prepared, input), prepared.callContext('answer'));
  }

  /** The supporting chunks and file paths of the prepared context's entities and relations, in their order (LightRAG's source_id / file_path). */
  async factSources(prepared: PreparedQuery): Promise<{ entities: FactSource[]; relations: FactSource[] }> {
    const { entityIds, relationIds } = prepared.details;
    if (!entityIds.length && !relationIds.length) return { entities: [], relations: [] };
    return this.retrieval.read(prepared.instance.tenantId, prepared.instance.kbId, async (kb) => ({
      entities: await kb.factSources('entity', entityIds, FACT_SOURCES_PER_FACT),
      relations: await kb.factSources('relation', relationIds, FACT_SOURCES_PER_FACT),
    }));
  }

  observeLatency(tenantId: string, mode: string, startedNs: bigint): void {
    this.metrics.queryLatency.observe({ tenant_id: tenantId, mode }, Number(process.hrtime.bigint() - startedNs) / 1e9);
  }

  /** What the answerer gets: the query, the retrieved context and the caller's options. */
  answerInput(prepared: PreparedQuery, input: QueryInput): AnswerInput {
    return {
      query: input.query,
      chunks: prepared.context.chunks,
      entities: prepared.context.entities,
      relations: prepared.context.relations,
      responseType: input.responseType,
      history: input.history,
      userPrompt: input.userPrompt,
      bypass: prepared.mode === 'bypass',
      system: input.system,
    };
  }

  private async keywordsFor(instance: RagInstance, query: string, history: ChatMessage[], ctx: CallContext): Promise<QueryKeywords> {
    const cacheable = history.length === 0;
    const cached = cacheable ? instance.cachedKeywords(query) : undefined;
    if (cached) return cached;
    const k = await instance.providers.keywords.extractKeywords(query, history, ctx);
    if (cacheable) instance.rememberKeywords(query, k);
    return k;
  }

  /**
   * Exact or index search, per table: exact while the KB has at most
   * EXACT_SEARCH_MAX_ROWS rows in it (counts cached per instance; read in a
   * transaction of their own when not cached).
   */
  private async exactSearch(instance: RagInstance): Promise<{ chunks: boolean; entities: boolean; relations: boolean }> {
    let n: KbSizes | null = instance.cachedKbSize();
    if (n === null) {
      n = await this.retrieval.sizesOf(instance.tenantId, instance.kbId);
      instance.rememberKbSize(n);
    }
    return { chunks: n.chunks <= EXACT_SEARCH_MAX_ROWS, entities: n.entities <= EXACT_SEARCH_MAX_ROWS, relations: n.relations <= EXACT_SEARCH_MAX_ROWS };
  }
}

/**
 * Second pass over every fused candidate (at most a few times chunk_top_k):
 * BM25 with IDF from the candidates themselves plus the fused rank score
 * scaled to [0, 1]. RRF only sees ranks, so a chunk that both lists rank
 * middling can beat the one chunk that holds every query term; this pass puts
 * term evidence back (SQuAD naive hit@1: ADR 003).
 */
export function rerankFused<T extends { chunk_id: string; content: string; score: number }>(query: string, fused: T[]): T[] {
  if (!fused.length) return fused;
  const best = Math.max(...fused.map((c) => c.score)) || 1;
  return lexicalRerank(
    query,
    fused.map((c) => ({ ...c, score: c.score / best })),
    // A chunk's text never changes under its id: its term profile is computed once (TERM_PROFILES).
    { vectorWeight: RERANK_FUSION_WEIGHT, keyOf: (c) => c.chunk_id },
  );
}

/** Appends hits not yet present, keeping the higher score for duplicates; result sorted by score. */
function mergeBy<T extends { score: number }>(current: T[], more: T[], keyOf: (x: T) => string): T[] {
  const byKey = new Map(current.map((x) => [keyOf(x), x]));
  for (const x of more) {
    const k = keyOf(x);
    const had = byKey.get(k);
    if (!had || Number(had.score) < Number(x.score)) byKey.set(k, { ...x, score: Number(x.score) });
  }
  return [...byKey.values()].sort((a, b) => Number(b.score) - Number(a.score));
}
