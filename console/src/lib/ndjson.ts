/**
 * NDJSON from a streamed response (POST …/query/stream): one JSON object per
 * line, split across network chunks anywhere (even inside a UTF-8 sequence).
 * `ndjsonLines` turns a byte stream into parsed objects; `streamQuery` opens
 * the stream with the session's token and turns an error before the stream
 * (an ordinary JSON envelope) into an ApiError, like every other call.
 */
import { ApiError, errorFrom } from '../api/client';
import { sessionStore } from '../session/session';
import type { QueryContext, QueryMode, Reference } from '../api/workspace';

/** Parsed lines of an NDJSON byte stream; blank lines are skipped; a line that is not JSON is an error naming it. */
export async function* ndjsonLines(reader: ReadableStreamDefaultReader<Uint8Array>): AsyncGenerator<unknown> {
  const decoder = new TextDecoder();
  let buffer = '';
  const parse = (line: string) => {
    try {
      return JSON.parse(line) as unknown;
    } catch {
      throw new ApiError(0, 'BAD_STREAM', `The server sent a line the console cannot read: ${line.slice(0, 80)}`, null);
    }
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (line) yield parse(line);
      }
    }
    buffer += decoder.decode();
    if (buffer.trim()) yield parse(buffer.trim());
  } finally {
    reader.releaseLock();
  }
}

/** What the playground shows, folded from the stream's lines (see QueriesController.stream). */
export interface StreamState {
  mode: QueryMode | null;
  references: Reference[];
  context: QueryContext | null;
  answer: string;
  done: boolean;
  error: ApiError | null;
}

export const EMPTY_STREAM: StreamState = { mode: null, references: [], context: null, answer: '', done: false, error: null };

/** One NDJSON line applied to the state: {mode, references[, context]}, {response}, {done}, {error}. */
export function applyLine(s: StreamState, line: unknown): StreamState {
  if (typeof line !== 'object' || line === null) return s;
  const l = line as Record<string, unknown>;
  let next = s;
  if (typeof l.mode === 'string') next = { ...next, mode: l.mode as QueryMode };
  if (Array.isArray(l.references)) next = { ...next, references: l.references as Reference[] };
  if (l.context && typeof l.context === 'object') next = { ...next, context: l.context as QueryContext };
  if (typeof l.response === 'string') next = { ...next, answer: next.answer + l.response };
  if (l.done === true) next = { ...next, done: true };
  if (l.error && typeof l.error === 'object') {
    const e = l.error as { code?: unknown; message?: unknown; request_id?: unknown };
    next = {
      ...next,
      done: true,
      error: new ApiError(
        200,
        typeof e.code === 'string' ? e.code : 'STREAM_ERROR',
        typeof e.message === 'string' ? e.message : 'The answer stopped with an error.',
        typeof e.request_id === 'string' ? e.request_id : null,
      ),
    };
  }
  return next;
}

export interface QueryBody {
  query: string;
  mode: QueryMode;
  only_need_context?: boolean;
}

/** POSTs the query to …/query/stream and yields each NDJSON line; errors before the stream throw ApiError. */
export async function* streamQuery(tenantId: string, kbId: string, body: QueryBody, signal?: AbortSignal): AsyncGenerator<unknown> {
  const session = sessionStore.get();
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/x-ndjson' };
  if (session) headers.authorization = `Bearer ${session.token}`;
  let res: Response;
  try {
    res = await fetch(`/api/v1/tenants/${tenantId}/knowledge-bases/${kbId}/query/stream`, { method: 'POST', headers, body: JSON.stringify(body), signal });
  } catch (err) {
    if ((err as { name?: string }).name === 'AbortError') throw err;
    throw new ApiError(0, 'NETWORK_ERROR', 'Could not reach the Strata server. Check your connection and try again.', null);
  }
  const requestId = res.headers.get('x-request-id');
  if (!res.ok || !res.body) {
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    const error = errorFrom(res.status, res.statusText, parsed, requestId);
    if (res.status === 401 && session) sessionStore.expire(`Your session is no longer valid: ${error.message} Sign in again.`);
    throw error;
  }
  yield* ndjsonLines(res.body.getReader());
}
