import { Injectable } from '@nestjs/common';
import { toErrorResponse } from '../../../common/error-mapping';
import type { Principal } from '../../../context/principal';
import { answerSystemPrompt, queryContextText } from '../../../rag/providers/prompts';
import type { AnswerChunk, ChatMessage } from '../../../rag/providers/provider.types';
import { PreparedQuery, QueryEngine, QueryInput } from '../../../rag/retrieval/query-engine';
import type { FactSource } from '../../../rag/retrieval/retrieval.repository';
import type { LightragQueryDto } from './lightrag-query.dto';

/** Strata's largest top_k / chunk_top_k: larger LightRAG values are clamped to it. */
export const MAX_TOP_K = 200;

/** LightRAG's answer when the model returned nothing (query_routes.py). */
export const EMPTY_ANSWER = 'No relevant context found for the query.';
/** LightRAG's fail_response (prompt.py) when retrieval found nothing: the model is not called. */
export const NO_CONTEXT_ANSWER = "Sorry, I'm not able to provide an answer to that question.[no-context]";

export interface LightragReference {
  reference_id: string;
  file_path: string;
  content?: string[];
}

/** LightRAG's GRAPH_FIELD_SEP, between the chunk ids and file paths of one fact. */
const SEP = '<SEP>';

const HISTORY_ROLES = new Set(['user', 'assistant', 'system']);

/** A LightRAG QueryRequest as the engine's QueryInput: mode mix by default, top_k and chunk_top_k clamped to MAX_TOP_K, the query stripped. */
export function toQueryInput(dto: LightragQueryDto, principal: Principal | undefined): QueryInput {
  // LightRAG sends conversation_history to the model only; roles other than user/assistant/system have no meaning for it and are left out.
  const history: ChatMessage[] = (dto.conversation_history ?? [])
    .filter((m) => HISTORY_ROLES.has(m.role))
    .map((m) => ({ role: m.role as ChatMessage['role'], content: m.content ?? '' }));
  return {
    query: dto.query.trim(),
    mode: dto.mode ?? 'mix',
    topK: dto.top_k == null ? undefined : Math.min(dto.top_k, MAX_TOP_K),
    chunkTopK: dto.chunk_top_k == null ? undefined : Math.min(dto.chunk_top_k, MAX_TOP_K),
    enableRerank: dto.enable_rerank,
    responseType: dto.response_type,
    history,
    userPrompt: dto.user_prompt,
    apiKeyId: principal?.kind === 'api_key' ? principal.id : undefined,
  };
}

/**
 * LightRAG's /query, /query/stream and /query/data on Strata's QueryEngine:
 * maps the request to a QueryInput and the results to LightRAG's shapes.
 */
@Injectable()
export class LightragQueryService {
  constructor(private readonly engine: QueryEngine) {}

  /** POST /query: {response, references, response_time, llm_generated}. */
  async query(tenantId: string, kbId: string, dto: LightragQueryDto, principal: Principal | undefined): Promise<Record<string, unknown>> {
    const started = process.hrtime.bigint();
    const input = toQueryInput(dto, principal);
    const prepared = await this.engine.prepare(tenantId, kbId, input);
    try {
      const references = dto.include_references === false ? null : lightragReferences(prepared.context.chunks, dto.include_chunk_content === true);
      const { text, generated } = await this.respond(prepared, input, dto);
      return { response: text, references, response_time: seconds(started), llm_generated: generated };
    } finally {
      this.engine.observeLatency(tenantId, prepared.mode, started);
    }
  }

  /**
   * POST /query/stream: retrieval runs before this resolves (its errors are
   * ordinary {"detail"} responses); then LightRAG's NDJSON lines:
   * {"references"} first when asked for, {"response": delta} lines, and
   * {"error": "<text>"} if the model fails mid-stream. stream: false (and the
   * answers that call no model) → one {"response", "references"} line.
   */
  async stream(tenantId: string, kbId: string, dto: LightragQueryDto, principal: Principal | undefined, requestId: string): Promise<AsyncIterable<unknown>> {
    const started = process.hrtime.bigint();
    const input = toQueryInput(dto, principal);
    const prepared = await this.engine.prepare(tenantId, kbId, input);
    const references = dto.include_references === false ? null : lightragReferences(prepared.context.chunks, dto.include_chunk_content === true);
    const engine = this.engine;
    const direct = this.directAnswer(prepared, input, dto);
    const respond = () => this.respond(prepared, input, dto);
    return (async function* lines() {
      try {
        if (dto.stream === false || direct !== null) {
          const { text } = direct ?? (await respond());
          yield references === null ? { response: text } : { response: text, references };
          return;
        }
        if (references !== null) yield { references };
        let any = false;
        for await (const delta of engine.stream(prepared, input)) {
          if (!delta) continue;
          any = true;
          yield { response: delta };
        }
        if (!any) yield { response: EMPTY_ANSWER };
      } catch (err) {
        yield { error: toErrorResponse(err, requestId).body.error.message };
      } finally {
        engine.observeLatency(tenantId, prepared.mode, started);
      }
    })();
  }

  /** POST /query/data: the retrieved entities, relationships, chunks and references in LightRAG's field names; no model call. */
  async data(tenantId: string, kbId: string, dto: LightragQueryDto, principal: Principal | undefined): Promise<Record<string, unknown>> {
    const started = process.hrtime.bigint();
    const input = toQueryInput(dto, principal);
    const prepared = await this.engine.prepare(tenantId, kbId, input);
    try {
      const { chunks, entities, relations } = prepared.context;
      const references = lightragReferences(chunks, false);
      const refOf = new Map(references.map((r) => [r.file_path, r.reference_id]));
      const sources = await this.engine.factSources(prepared);
      // A fact's reference is that of the first of its files the retrieved chunks cite ("" when none does).
      const refOfPaths = (paths: string) =>
        paths
          .split(SEP)
          .map((p) => refOf.get(p))
          .find((id) => id !== undefined) ?? '';
      const source = (list: FactSource[], i: number) => ({
        source_id: list[i]?.chunk_ids ?? '',
        file_path: list[i]?.file_paths ?? '',
        reference_id: refOfPaths(list[i]?.file_paths ?? ''),
      });
      return {
        status: 'success',
        message: 'Query executed successfully',
        data: {
          entities: entities.map((e, i) => ({ entity_name: e.name, entity_type: e.type, description: e.description, ...source(sources.entities, i) })),
          relationships: relations.map((r, i) => ({
            src_id: r.source,
            tgt_id: r.target,
            description: r.description,
            keywords: r.keywords,
            weight: prepared.details.relationWeights[i] ?? 0,
            ...source(sources.relations, i),
          })),
          chunks: chunks.map((c) => ({ content: c.content, file_path: c.file_path, chunk_id: c.chunk_id, reference_id: refOf.get(c.file_path) ?? '' })),
          references,
        },
        metadata: {
          query_mode: prepared.mode,
          keywords: { high_level: prepared.details.keywords.highLevel, low_level: prepared.details.keywords.lowLevel },
          processing_info: {
            total_entities_found: prepared.details.entitiesFound,
            total_relations_found: prepared.details.relationsFound,
            entities_after_truncation: entities.length,
            relations_after_truncation: relations.length,
            final_chunks_count: chunks.length,
          },
        },
      };
    } finally {
      this.engine.observeLatency(tenantId, prepared.mode, started);
    }
  }

  /**
   * The answers that call no model: only_need_context (the context as
   * LightRAG's kg_query_context text), only_need_prompt (the answer prompt),
   * and LightRAG's no-context reply when retrieval found nothing. null when
   * the model has to answer.
   */
  private directAnswer(prepared: PreparedQuery, input: QueryInput, dto: LightragQueryDto): { text: string; generated: false } | null {
    const bypass = prepared.mode === 'bypass';
    if (dto.only_need_context && !bypass) return { text: queryContextText(prepared.context), generated: false };
    if (dto.only_need_prompt) {
      const answerInput = this.engine.answerInput(prepared, input);
      return { text: bypass ? input.query : [answerSystemPrompt(answerInput), '---User Query---', input.query].join('\n\n'), generated: false };
    }
    const { chunks, entities, relations } = prepared.context;
    if (!bypass && chunks.length === 0 && entities.length === 0 && relations.length === 0) return { text: NO_CONTEXT_ANSWER, generated: false };
    return null;
  }

  private async respond(prepared: PreparedQuery, input: QueryInput, dto: LightragQueryDto): Promise<{ text: string; generated: boolean }> {
    const direct = this.directAnswer(prepared, input, dto);
    if (direct) return direct;
    const { text } = await this.engine.answer(prepared, input);
    return { text: text.trim() ? text : EMPTY_ANSWER, generated: true };
  }
}

function seconds(startedNs: bigint): number {
  return Math.round(Number(process.hrtime.bigint() - startedNs) / 1e6) / 1e3;
}

/**
 * LightRAG's reference list (generate_reference_list_from_chunks): one entry
 * per distinct non-empty file path of the chunks, the file with most chunks
 * first, ties by first appearance, numbered "1".."n"; with `withContent` each
 * entry lists its chunks' texts.
 */
export function lightragReferences(chunks: AnswerChunk[], withContent: boolean): LightragReference[] {
  const byPath = new Map<string, { first: number; contents: string[] }>();
  chunks.forEach((c, i) => {
    if (!c.file_path || c.file_path === 'unknown_source') return;
    const had = byPath.get(c.file_path);
    if (had) had.contents.push(c.content);
    else byPath.set(c.file_path, { first: i, contents: [c.content] });
  });
  return [...byPath.entries()]
    .sort((a, b) => b[1].contents.length - a[1].contents.length || a[1].first - b[1].first)
    .map(([file_path, v], i) => (withContent ? { reference_id: String(i + 1), file_path, content: v.contents } : { reference_id: String(i + 1), file_path }));
}
