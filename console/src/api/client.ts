/**
 * The console's only way to the server: Strata's public /api/v1, with the
 * session's bearer token. Every failure becomes an ApiError carrying the
 * envelope's code and message and the request id (body or X-Request-Id header),
 * so the page can show it; a 401 on an authenticated call ends the session.
 * The session's role and permissions follow the server's (GET /auth/me): asked
 * when a session starts (sign-in, a restored tab), when the tab becomes
 * visible again, and after a 403 FORBIDDEN — so a demoted user's controls
 * change without signing in again.
 */
import { sessionStore } from '../session/session';
import type { Me } from './types';

/** Who the signed-in account is now, by the server's current state (src/auth/auth.controller.ts). */
const ME = '/auth/me';

export interface PageMeta {
  total: number;
  limit: number;
  offset: number;
}

export interface ApiResult<T> {
  data: T;
  meta?: PageMeta;
  requestId: string | null;
}

export interface FieldError {
  field: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | null,
    readonly details: FieldError[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface ErrorEnvelope {
  status: 'error';
  error: { code?: unknown; message?: unknown; request_id?: unknown; details?: unknown };
}

function isErrorEnvelope(v: unknown): v is ErrorEnvelope {
  return typeof v === 'object' && v !== null && (v as { status?: unknown }).status === 'error' && typeof (v as { error?: unknown }).error === 'object';
}

/** Turns any non-2xx answer into an ApiError; exported for the component tests. */
export function errorFrom(status: number, statusText: string, body: unknown, headerRequestId: string | null): ApiError {
  if (isErrorEnvelope(body)) {
    const e = body.error;
    const details = Array.isArray(e.details) ? e.details.filter((d): d is FieldError => typeof d?.field === 'string' && typeof d?.message === 'string') : [];
    return new ApiError(
      status,
      typeof e.code === 'string' ? e.code : `HTTP_${status}`,
      typeof e.message === 'string' && e.message ? e.message : `The server answered ${status} ${statusText}.`.replace(' .', '.'),
      typeof e.request_id === 'string' ? e.request_id : headerRequestId,
      details,
    );
  }
  return new ApiError(status, `HTTP_${status}`, `The server answered ${status}${statusText ? ` ${statusText}` : ''} without an error message.`, headerRequestId);
}

export interface RequestOptions {
  body?: unknown;
  /** Send no token (sign-in). */
  anonymous?: boolean;
  signal?: AbortSignal;
}

export async function api<T>(method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, opts: RequestOptions = {}): Promise<ApiResult<T>> {
  const session = opts.anonymous ? null : sessionStore.get();
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (session) headers.authorization = `Bearer ${session.token}`;
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body), signal: opts.signal });
  } catch (err) {
    if ((err as { name?: string }).name === 'AbortError') throw err;
    throw new ApiError(0, 'NETWORK_ERROR', 'Could not reach the Strata server. Check your connection and try again.', null);
  }
  const requestId = res.headers.get('x-request-id');
  let body: unknown = undefined;
  const text = await res.text();
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
  }
  if (!res.ok) {
    const error = errorFrom(res.status, res.statusText, body, requestId);
    if (res.status === 401 && session) sessionStore.expire(`Your session is no longer valid: ${error.message} Sign in again.`, session.token);
    // Refused for lack of a permission: the role may have changed since the console last asked.
    if (res.status === 403 && error.code === 'FORBIDDEN' && session && path !== ME) void refreshSession();
    throw error;
  }
  const env = body as { data?: T; meta?: PageMeta } | undefined;
  if (!env || !('data' in env)) throw new ApiError(res.status, 'BAD_RESPONSE', 'The server sent an answer the console cannot read.', requestId);
  return { data: env.data as T, meta: env.meta, requestId };
}

/** `?limit=&offset=` plus other non-empty parameters. */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

let pending: { token: string; done: Promise<void> } | null = null;

/**
 * Asks GET /auth/me for the signed-in account's current role and permissions
 * and puts them in the session (sessionStore.applyIdentity). One request at a
 * time per session; a 401 ends the session like any other call; any other
 * failure (offline, 503, a suspended tenant) keeps what the session has.
 */
export function refreshSession(): Promise<void> {
  const session = sessionStore.get();
  if (!session) return Promise.resolve();
  if (pending?.token === session.token) return pending.done;
  const done = api<Me>('GET', ME)
    .then(
      (r) => sessionStore.applyIdentity(session.token, r.data),
      () => undefined,
    )
    .finally(() => {
      if (pending?.done === done) pending = null;
    });
  pending = { token: session.token, done };
  return done;
}

/** Refreshes each new session once (sign-in, restore) and every time the tab becomes visible again. */
function followServerRole(): void {
  let seen: string | null = null;
  const onChange = () => {
    const token = sessionStore.get()?.token ?? null;
    if (token === seen) return;
    seen = token;
    if (token) void refreshSession();
  };
  sessionStore.subscribe(onChange);
  onChange();
  if (typeof document !== 'undefined')
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') void refreshSession();
    });
}
followServerRole();
