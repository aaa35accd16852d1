import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { toErrorResponse } from '../../../common/error-mapping';
import { AppConfig } from '../../../config/app-config';
import type { Principal } from '../../../context/principal';
import { DatabaseService } from '../../../database/database.service';
import { countTokens } from '../../../rag/chunking/tokens';
import type { QueryMode } from '../../../rag/query-mode';
import { QueryEngine, QueryInput } from '../../../rag/retrieval/query-engine';
import { queryContextText } from '../../../rag/providers/prompts';
import { LightragHttpError, LightragValidationError } from './lightrag-errors';
import { MAX_HISTORY, MAX_QUESTION_CHARS, OllamaChatDto, OllamaGenerateDto } from './lightrag-ollama.dto';
import { matchKbs, parseSelector } from './workspace-selector';
import { WorkspaceKb, WorkspaceRepository } from './workspace.repository';

/** What LightRAG's Ollama emulation reports about its model (lightrag/constants.py, base.py OllamaServerInfos). */
export const OLLAMA_VERSION = '0.9.3';
const MODEL_CREATED_AT = '2024-01-15T00:00:00Z';
const MODEL_SIZE = 7365960935;
const MODEL_DETAILS = { parent_model: '', format: 'gguf', family: 'lightrag', families: ['lightrag'], parameter_size: '13B', quantization_level: 'Q4_0' };
/** /api/ps: a fixed expiry far ahead, ISO-8601 with six fractional digits and an offset (Python's datetime.fromisoformat reads it, 3.7+). */
const PS_EXPIRES_AT = '2050-12-31T14:38:31.837530-07:00';
/** Longest model tag (Ollama's own limit on a tag). */
const MAX_TAG = 128;

/** Open WebUI's title/tag/follow-up generation prompts embed the chat like this (LightRAG ollama_api.py); they go to the model without retrieval. */
const OPEN_WEBUI_TASK = /\n<chat_history>\nUSER:/;

/** The query prefixes of LightRAG's parse_query_mode: "/<mode> " and the context-only forms. */
const PREFIXES: Array<[string, QueryMode, boolean]> = [
  ['/local ', 'local', false],
  ['/global ', 'global', false],
  ['/naive ', 'naive', false],
  ['/hybrid ', 'hybrid', false],
  ['/mix ', 'mix', false],
  ['/bypass ', 'bypass', false],
  ['/context', 'mix', true],
  ['/localcontext', 'local', true],
  ['/globalcontext', 'global', true],
  ['/hybridcontext', 'hybrid', true],
  ['/naivecontext', 'naive', true],
  ['/mixcontext', 'mix', true],
];

export interface ParsedChatQuery {
  query: string;
  mode: QueryMode;
  onlyNeedContext: boolean;
  userPrompt?: string;
}

/**
 * LightRAG's parse_query_mode (ollama_api.py): "/local question",
 * "/localcontext question" (the retrieved context only), "/local[use a table]
 * question" (extra instructions for the answer); no prefix → mix. Unlike
 * LightRAG, "/[instructions] question" keeps the default mode and drops the
 * "/" (LightRAG sends "/ question" on as the query), and the question after
 * the brackets may span lines.
 */
export function parseQueryMode(text: string): ParsedChatQuery {
  let query = text;
  let userPrompt: string | undefined;
  const bracket = /^\/([a-z]*)\[(.*?)\](.*)$/s.exec(query);
  if (bracket) {
    userPrompt = bracket[2];
    const rest = bracket[3].trimStart();
    query = bracket[1] ? `/${bracket[1]} ${rest}`.trim() : rest;
  }
  for (const [prefix, mode, onlyNeedContext] of PREFIXES) {
    // "/local" alone (nothing after it) is the bare mode with an empty question.
    if (query.startsWith(prefix) || (prefix.endsWith(' ') && query === prefix.trimEnd())) {
      return { query: query.slice(prefix.length).trimStart(), mode, onlyNeedContext, userPrompt };
    }
  }
  return { query, mode: 'mix', onlyNeedContext: false, userPrompt };
}

/** A KB's model tag: its lower-cased name with every character outside [a-z0-9_.-] made "_", at most 128 long. */
export function kbTag(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9_.-]/g, '_')
    .slice(0, MAX_TAG);
}

export interface OllamaModel {
  name: string;
  model: string;
  modified_at: string;
  size: number;
  digest: string;
  details: typeof MODEL_DETAILS;
}

/** The reply of a chat or generate call: one JSON object, or NDJSON frames (the stream). */
export type OllamaReply = { kind: 'json'; body: Record<string, unknown> } | { kind: 'ndjson'; frames: AsyncIterable<Record<string, unknown>> };

/** Ollama's timing and token counters of a finished answer (integers; durations in nanoseconds). */
function counters(started: bigint, firstDelta: bigint | undefined, prompt: string, answer: string): Record<string, number> {
  const end = process.hrtime.bigint();
  const first = firstDelta ?? end;
  return {
    total_duration: Number(end - started),
    load_duration: 0,
    prompt_eval_count: countTokens(prompt),
    prompt_eval_duration: Number(first - started),
    eval_count: countTokens(answer),
    eval_duration: Number(end - first),
  };
}

/**
 * LightRAG's Ollama emulation (/api/*) over Strata: the model list names one
 * model per KB the caller can reach; chat runs the KB's retrieval and answer
 * through the QueryEngine; generate (and Open WebUI's title generation, and
 * /bypass) go to the model without retrieval. A request's `system` prompt is
 * sent with that request's model call only, when the call goes straight to
 * the model (generate, /bypass, title generation); a retrieval mode answers
 * with the KB's answer prompt, as LightRAG does.
 */
@Injectable()
export class LightragOllamaService {
  constructor(
    private readonly engine: QueryEngine,
    private readonly db: DatabaseService,
    private readonly repo: WorkspaceRepository,
    private readonly config: AppConfig,
  ) {}

  private get modelName(): string {
    return this.config.settings.ollamaEmulatingModelName;
  }

  /**
   * GET /api/tags: `<name>:<tag>` (default "lightrag:latest") when the request
   * resolves to a KB without naming one (the key's one KB, the selected KB, or
   * in non-strict mode the tenant's default KB), then `<name>:<kb-tag>` for
   * every KB of the tenant the credential reaches. A tag that two KBs share,
   * that equals the default tag, or that would not select its KB again is the
   * KB's id instead.
   */
  async models(tenantId: string, selectedKbId: string | undefined, principal: Principal): Promise<OllamaModel[]> {
    const s = this.config.settings;
    const tenant = await this.db.withTenant(tenantId, (db) => this.repo.tenantWithKbs(db, tenantId));
    const all = tenant?.kbs ?? [];
    const scope = principal.kind === 'api_key' ? principal.kbIds : null;
    const reachable = all.filter((k) => scope === null || scope.has(k.id));
    let latest = selectedKbId !== undefined && reachable.some((k) => k.id === selectedKbId);
    if (!selectedKbId && !s.lightragCompatStrict && principal.kind !== 'admin') {
      const d = matchKbs(all, s.lightragCompatDefaultKb);
      latest = d.length === 1 && reachable.includes(d[0]);
    }
    const tags = reachable.map((k) => kbTag(k.name));
    const out: OllamaModel[] = [];
    if (latest) out.push(this.model(`${this.modelName}:${s.ollamaEmulatingModelTag}`));
    reachable.forEach((kb, i) => {
      const tag = tags[i];
      const unique = tags.indexOf(tag) === tags.lastIndexOf(tag);
      const usable = unique && tag.toLowerCase() !== s.ollamaEmulatingModelTag.toLowerCase() && selects(tag, all, kb);
      out.push(this.model(`${this.modelName}:${usable ? tag : kb.id}`));
    });
    return out;
  }

  /** GET /api/ps: the same models, as Ollama lists the running ones. */
  async running(tenantId: string, selectedKbId: string | undefined, principal: Principal): Promise<Array<Record<string, unknown>>> {
    return (await this.models(tenantId, selectedKbId, principal)).map((m) => ({
      name: m.name,
      model: m.model,
      size: m.size,
      digest: m.digest,
      details: { ...m.details, family: 'llama', families: ['llama'] },
      expires_at: PS_EXPIRES_AT,
      size_vram: m.size,
    }));
  }

  private model(name: string): OllamaModel {
    return {
      name,
      model: name,
      modified_at: MODEL_CREATED_AT,
      size: MODEL_SIZE,
      digest: `sha256:${createHash('sha256').update(name).digest('hex')}`,
      details: { ...MODEL_DETAILS, families: [...MODEL_DETAILS.families] },
    };
  }

  /**
   * POST /api/chat. The last message is the question (LightRAG's prefixes
   * choose the mode), the earlier ones (at most MAX_HISTORY, the latest; tool
   * results left out) the conversation history. Retrieval runs before this resolves, so its errors
   * are ordinary error responses; a failure while streaming becomes an
   * "error" frame followed by the final frame.
   */
  async chat(tenantId: string, kbId: string, dto: OllamaChatDto, principal: Principal, requestId: string): Promise<OllamaReply> {
    const started = process.hrtime.bigint();
    if (dto.messages.length === 0) throw new LightragHttpError(400, 'No messages provided');
    const last = dto.messages[dto.messages.length - 1];
    if (last.role !== 'user') throw new LightragHttpError(400, 'Last message must be from user role');
    if (last.content.length > MAX_QUESTION_CHARS) {
      throw new LightragValidationError([
        {
          type: 'string_too_long',
          loc: ['body', 'messages', dto.messages.length - 1, 'content'],
          msg: `The question (the last message) must be at most ${MAX_QUESTION_CHARS} characters`,
        },
      ]);
    }
    const stream = dto.stream ?? true;
    const parsed = parseQueryMode(last.content);
    if (!parsed.query.trim()) throw new LightragHttpError(400, 'The question (the last user message) is empty.');
    // Open WebUI's title and tag generation: straight to the model, like /bypass.
    const mode: QueryMode = !stream && OPEN_WEBUI_TASK.test(parsed.query) ? 'bypass' : parsed.mode;
    const input: QueryInput = {
      query: parsed.query,
      mode,
      history: dto.messages
        .slice(0, -1)
        .flatMap((m) => (m.role === 'tool' ? [] : [{ role: m.role, content: m.content }]))
        .slice(-MAX_HISTORY),
      apiKeyId: principal.kind === 'api_key' ? principal.id : undefined,
      userPrompt: parsed.userPrompt,
      system: mode === 'bypass' ? dto.system : undefined,
    };
    const prepared = await this.engine.prepare(tenantId, kbId, input);
    const head = { model: dto.model, created_at: new Date().toISOString() };
    const message = (content: string) => ({ role: 'assistant', content, images: null });

    if (!stream) {
      try {
        const content = parsed.onlyNeedContext ? queryContextText(prepared.context) : (await this.engine.answer(prepared, input)).text;
        return {
          kind: 'json',
          body: { ...head, message: message(content), done_reason: 'stop', done: true, ...counters(started, undefined, parsed.query, content) },
        };
      } finally {
        this.engine.observeLatency(tenantId, prepared.mode, started);
      }
    }
    const engine = this.engine;
    return {
      kind: 'ndjson',
      frames: (async function* frames() {
        let first: bigint | undefined;
        let answer = '';
        const done = () => ({ ...head, message: message(''), done_reason: 'stop', done: true, ...counters(started, first, parsed.query, answer) });
        try {
          const deltas: AsyncIterable<string> = parsed.onlyNeedContext ? once(queryContextText(prepared.context)) : engine.stream(prepared, input);
          for await (const delta of deltas) {
            if (!delta) continue;
            first ??= process.hrtime.bigint();
            answer += delta;
            yield { ...head, message: message(delta), done: false };
          }
          yield done();
        } catch (err) {
          const error = `\n\nError: ${toErrorResponse(err, requestId).body.error.message}`;
          yield { ...head, message: message(error), error, done: false };
          yield done();
        } finally {
          engine.observeLatency(tenantId, prepared.mode, started);
        }
      })(),
    };
  }

  /**
   * POST /api/generate: the prompt to the KB's model, no retrieval (LightRAG
   * does the same). An empty prompt answers at once with done_reason "load",
   * as Ollama does, without a model call.
   */
  async generate(tenantId: string, kbId: string, dto: OllamaGenerateDto, principal: Principal, requestId: string): Promise<OllamaReply> {
    const started = process.hrtime.bigint();
    const stream = dto.stream ?? false;
    const head = { model: dto.model, created_at: new Date().toISOString() };
    if (!dto.prompt.trim()) {
      const body = { ...head, response: '', done: true, done_reason: 'load', context: [], ...counters(started, undefined, '', '') };
      return stream ? { kind: 'ndjson', frames: once(body) } : { kind: 'json', body };
    }
    const input: QueryInput = { query: dto.prompt, mode: 'bypass', system: dto.system, apiKeyId: principal.kind === 'api_key' ? principal.id : undefined };
    const prepared = await this.engine.prepare(tenantId, kbId, input);
    const prompt = dto.system ? `${dto.system}\n${dto.prompt}` : dto.prompt;
    if (!stream) {
      try {
        const { text } = await this.engine.answer(prepared, input);
        return {
          kind: 'json',
          body: { ...head, response: text, done: true, done_reason: 'stop', context: [], ...counters(started, undefined, prompt, text) },
        };
      } finally {
        this.engine.observeLatency(tenantId, prepared.mode, started);
      }
    }
    const engine = this.engine;
    return {
      kind: 'ndjson',
      frames: (async function* frames() {
        let first: bigint | undefined;
        let answer = '';
        const done = () => ({ ...head, response: '', done: true, done_reason: 'stop', context: [], ...counters(started, first, prompt, answer) });
        try {
          for await (const delta of engine.stream(prepared, input)) {
            if (!delta) continue;
            first ??= process.hrtime.bigint();
            answer += delta;
            yield { ...head, response: delta, done: false };
          }
          yield done();
        } catch (err) {
          const error = `\n\nError: ${toErrorResponse(err, requestId).body.error.message}`;
          yield { ...head, response: error, error, done: false };
          yield done();
        } finally {
          engine.observeLatency(tenantId, prepared.mode, started);
        }
      })(),
    };
  }
}

/** Whether `tag`, sent as "lightrag:<tag>", selects exactly `kb` among the tenant's KBs (the resolver's reading of a model tag). */
function selects(tag: string, all: WorkspaceKb[], kb: WorkspaceKb): boolean {
  const sel = parseSelector(tag);
  if (!sel || sel.tenantRef !== null || sel.raw !== tag) return false;
  const hits = matchKbs(all, sel.kbRef);
  return hits.length === 1 && hits[0].id === kb.id;
}

async function* once<T>(value: T): AsyncIterable<T> {
  yield value;
}
