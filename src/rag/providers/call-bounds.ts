import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { AppException } from '../../common/app-exception';
import { FairSemaphore } from '../../common/fair-semaphore';

export interface BoundsOptions {
  /** Per-attempt timeout (LLM_TIMEOUT_MS), enforced by the openai client. */
  timeoutMs: number;
  /** Attempts in all, the first included (3): the openai client's maxRetries is one less. */
  maxAttempts?: number;
}

/**
 * A provider's Retry-After above this is not waited for: the call fails at
 * once (a request should not hang, holding a concurrency slot, for minutes).
 */
export const MAX_RETRY_AFTER_MS = 30_000;

/** Why a call failed, whether the failure was of a kind the client retries, and whether it was a timeout. */
export interface CallFailure {
  retryable: boolean;
  reason: string;
  timedOut?: boolean;
}

/** The reason given for a response that is not the JSON it should be (its body is never quoted: it may be a proxy's HTML page). */
export const NOT_JSON = 'the provider answered HTTP 200 with a body that is not valid JSON';

/** Classifies an error thrown by the openai client. */
export function classifyFailure(err: unknown): CallFailure {
  if (err instanceof APIConnectionTimeoutError || err instanceof APIUserAbortError) return { retryable: true, reason: 'the request timed out', timedOut: true };
  if (err instanceof APIConnectionError) return { retryable: true, reason: 'the connection to the provider could not be made or was reset' };
  if (err instanceof APIError) {
    const status = err.status;
    if (status === 429) {
      const after = retryAfterMs(err.headers);
      if (after !== null && after > MAX_RETRY_AFTER_MS) {
        return { retryable: false, reason: `rate limited by the provider (HTTP 429, Retry-After ${Math.round(after / 1000)} s is longer than this server waits)` };
      }
      return { retryable: true, reason: 'rate limited by the provider (HTTP 429)' };
    }
    if (status !== undefined && (status >= 500 || status === 408 || status === 409)) return { retryable: true, reason: `the provider returned HTTP ${status}` };
    if (status === 401 || status === 403) return { retryable: false, reason: `the provider rejected the API key (HTTP ${status})` };
    return { retryable: false, reason: `the provider returned HTTP ${status ?? 'error'}` };
  }
  if (err instanceof AppException) return { retryable: false, reason: err.message };
  if ((err as { name?: unknown })?.name === 'BodyTimeoutError') return { retryable: false, reason: `the provider stopped sending its answer (timed out)`, timedOut: true };
  // The client's response.json() on a body that is not JSON (a SyntaxError of fetch's realm, so matched by name).
  if ((err as { name?: unknown })?.name === 'SyntaxError') return { retryable: false, reason: NOT_JSON };
  return { retryable: false, reason: err instanceof Error ? err.message : String(err) };
}

/** The wait a response asks for (retry-after-ms, or Retry-After in seconds or as a date), as the openai client reads it. */
export function retryAfterMs(headers: Headers | undefined | null): number | null {
  const ms = headers?.get('retry-after-ms');
  if (ms && !Number.isNaN(parseFloat(ms))) return parseFloat(ms);
  const raw = headers?.get('retry-after');
  if (!raw) return null;
  const seconds = parseFloat(raw);
  if (!Number.isNaN(seconds)) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

/** A response whose body did not arrive within the attempt's timeout (boundedFetch). */
export class BodyTimeoutError extends Error {
  constructor() {
    super('the provider stopped sending its answer');
    this.name = 'BodyTimeoutError';
  }
}

/**
 * The `fetch` given to the openai client (one per CallBounds):
 * - a response whose Retry-After is longer than MAX_RETRY_AFTER_MS gets
 *   `x-should-retry: false`, which the client obeys, so it fails at once
 *   instead of sleeping that long;
 * - the attempt's timeout covers the body too: the client's own timer stops
 *   at the response headers, so a provider that sent headers and then
 *   stalled held the call, and its semaphore slot, until the connection
 *   closed. What is left of `timeoutMs` after the headers bounds the reading
 *   of the body, which then fails with BodyTimeoutError. An event stream is
 *   left to the stream's own timer for each next delta;
 * - an abort (the client's per-attempt timeout) is rethrown as an Error named
 *   AbortError: a DOMException from another realm (jest's VM modules) is not
 *   an Error there, and the client would report the timeout as a connection error.
 */
export function boundedFetch(timeoutMs: number): typeof fetch {
  return async (input, init) => {
    const started = Date.now();
    const controller = new AbortController();
    const outer = init?.signal;
    const forward = () => controller.abort();
    if (outer?.aborted) controller.abort();
    else outer?.addEventListener('abort', forward, { once: true });
    const detach = () => outer?.removeEventListener('abort', forward);
    let res: Response;
    try {
      res = await fetch(input, { ...init, signal: controller.signal });
    } catch (err) {
      detach();
      if (!(err instanceof Error) && (err as { name?: unknown })?.name === 'AbortError') throw Object.assign(new Error('The request was aborted.'), { name: 'AbortError' });
      throw err;
    }
    let headers = res.headers;
    if (!res.ok) {
      const after = retryAfterMs(res.headers);
      if (after !== null && after > MAX_RETRY_AFTER_MS) {
        headers = new Headers(res.headers);
        headers.set('x-should-retry', 'false');
      }
    }
    if (!res.body || res.headers.get('content-type')?.includes('text/event-stream')) {
      detach();
      return headers === res.headers ? res : new Response(res.body, { status: res.status, statusText: res.statusText, headers });
    }
    const reader = res.body.getReader();
    let timedOut = false;
    const timer = setTimeout(
      () => {
        timedOut = true;
        controller.abort();
      },
      Math.max(0, timeoutMs - (Date.now() - started)),
    );
    const finish = () => {
      clearTimeout(timer);
      detach();
    };
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            finish();
            c.close();
          } else c.enqueue(value);
        } catch (err) {
          finish();
          c.error(timedOut ? new BodyTimeoutError() : err);
        }
      },
      cancel(reason) {
        finish();
        return reader.cancel(reason);
      },
    });
    return new Response(body, { status: res.status, statusText: res.statusText, headers });
  };
}

/** The final failure of a model call: 502 UPSTREAM_ERROR, or 504 UPSTREAM_TIMEOUT when the provider did not answer in time. */
export function upstreamError(reason: string, timedOut = false): AppException {
  return new AppException(timedOut ? 'UPSTREAM_TIMEOUT' : 'UPSTREAM_ERROR', `The language model provider failed: ${reason}.`);
}

/**
 * Every remote model call goes through here. Retries are the openai
 * client's own (`clientOptions`: maxRetries = maxAttempts − 1, on
 * 408/409/429/5xx, timeouts and connection errors, exponential backoff with
 * jitter from 0.5 s, or the provider's Retry-After up to MAX_RETRY_AFTER_MS)
 * and so is the per-attempt timeout. This adds the concurrency bound (a
 * semaphore slot for the whole call, LLM_MAX_ASYNC) and turns the final
 * failure into UPSTREAM_ERROR (UPSTREAM_TIMEOUT when the last attempt timed out).
 */
export class CallBounds {
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  private readonly fetch: typeof fetch;

  constructor(
    readonly semaphore: FairSemaphore,
    opts: BoundsOptions,
  ) {
    this.timeoutMs = opts.timeoutMs;
    this.maxAttempts = opts.maxAttempts ?? 3;
    this.fetch = boundedFetch(this.timeoutMs);
  }

  /** What the openai client is built with (see the class comment). */
  get clientOptions(): { maxRetries: number; timeout: number; fetch: typeof fetch } {
    return { maxRetries: this.maxAttempts - 1, timeout: this.timeoutMs, fetch: this.fetch };
  }

  /**
   * Runs `call` (one openai client call, retries included) within the
   * bounds; `onError` sees a failed call (for metrics). `owner`: the tenant
   * the call is made for (its share of the semaphore). `holdsSlot`: the
   * caller already holds a semaphore slot (a stream).
   */
  async run<T>(call: () => Promise<T>, onError?: (f: CallFailure) => void, opts: { owner?: string; holdsSlot?: boolean } = {}): Promise<T> {
    try {
      return opts.holdsSlot ? await call() : await this.semaphore.run(call, opts.owner);
    } catch (err) {
      const f = classifyFailure(err);
      onError?.(f);
      throw upstreamError(f.retryable ? `${f.reason} (after ${this.maxAttempts} attempts)` : f.reason, f.timedOut);
    }
  }
}
