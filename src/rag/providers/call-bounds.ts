import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { AppException } from '../../common/app-exception';

/** A counting semaphore: at most `limit` holders at once, FIFO for waiters. */
export class Semaphore {
  private active = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`Semaphore limit must be a positive integer, got ${limit}`);
  }

  get inFlight(): number {
    return this.active;
  }

  async acquire(): Promise<() => void> {
    if (this.active < this.limit) {
      this.active++;
    } else {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
      // The releasing holder handed its slot over: `active` is unchanged.
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.active--;
    };
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

export interface BoundsOptions {
  /** Per-attempt timeout (LLM_TIMEOUT_MS). */
  timeoutMs: number;
  /** Attempts in all, the first included (3). */
  maxAttempts?: number;
  /** First backoff delay; doubled per attempt, with full jitter (500 ms). */
  baseDelayMs?: number;
  /** A Retry-After longer than this is capped (30 s): a request should not hang for minutes. */
  maxRetryAfterMs?: number;
}

/** Why one attempt failed, and whether another attempt may succeed. */
export interface AttemptFailure {
  retryable: boolean;
  reason: string;
  retryAfterMs: number | null;
}

export class TimeoutError extends Error {
  constructor(ms: number) {
    super(`timed out after ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/** Classifies an error thrown by the openai client (or our own timeout). */
export function classifyFailure(err: unknown): AttemptFailure {
  if (err instanceof TimeoutError || err instanceof APIConnectionTimeoutError) {
    return { retryable: true, reason: 'the request timed out', retryAfterMs: null };
  }
  if (err instanceof APIUserAbortError) {
    return { retryable: true, reason: 'the request timed out', retryAfterMs: null };
  }
  if (err instanceof APIConnectionError) {
    return { retryable: true, reason: 'could not connect to the provider', retryAfterMs: null };
  }
  if (err instanceof APIError) {
    const status = err.status;
    const retryAfterMs = parseRetryAfter(err.headers);
    if (status === 429) return { retryable: true, reason: 'rate limited by the provider (HTTP 429)', retryAfterMs };
    if (status !== undefined && status >= 500) return { retryable: true, reason: `the provider returned HTTP ${status}`, retryAfterMs };
    if (status === 408 || status === 409) return { retryable: true, reason: `the provider returned HTTP ${status}`, retryAfterMs };
    if (status === 401 || status === 403) return { retryable: false, reason: `the provider rejected the API key (HTTP ${status})`, retryAfterMs: null };
    return { retryable: false, reason: `the provider returned HTTP ${status ?? 'error'}`, retryAfterMs: null };
  }
  if (err instanceof AppException) return { retryable: false, reason: err.message, retryAfterMs: null };
  return { retryable: false, reason: err instanceof Error ? err.message : String(err), retryAfterMs: null };
}

function parseRetryAfter(headers: unknown): number | null {
  const get = (name: string): string | null => {
    if (!headers) return null;
    if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name);
    const v = (headers as Record<string, string | undefined>)[name];
    return v ?? null;
  };
  const ms = get('retry-after-ms');
  if (ms !== null && /^\d+(\.\d+)?$/.test(ms.trim())) return Number(ms);
  const raw = get('retry-after');
  if (raw === null) return null;
  if (/^\d+(\.\d+)?$/.test(raw.trim())) return Number(raw) * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

export function upstreamError(reason: string): AppException {
  return new AppException('UPSTREAM_ERROR', `The language model provider failed: ${reason}.`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Every remote model call goes through here: a concurrency slot (held only
 * while a request is in flight, not during backoff), a per-attempt timeout
 * (the AbortSignal passed to `fn` fires), up to `maxAttempts` attempts on
 * 429/5xx/timeouts/connection errors with exponential backoff and full jitter
 * (or the provider's Retry-After when it sends one), then UPSTREAM_ERROR.
 */
export class CallBounds {
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxRetryAfterMs: number;

  constructor(
    readonly semaphore: Semaphore,
    opts: BoundsOptions,
  ) {
    this.timeoutMs = opts.timeoutMs;
    this.maxAttempts = opts.maxAttempts ?? 3;
    this.baseDelayMs = opts.baseDelayMs ?? 500;
    this.maxRetryAfterMs = opts.maxRetryAfterMs ?? 30_000;
  }

  /**
   * Runs `fn` within the bounds; `onAttemptError` sees every failed attempt (for
   * metrics). `holdsSlot`: the caller already holds a semaphore slot (a stream).
   */
  async run<T>(fn: (signal: AbortSignal) => Promise<T>, onAttemptError?: (f: AttemptFailure) => void, holdsSlot = false): Promise<T> {
    let last: AttemptFailure | null = null;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      try {
        return holdsSlot ? await this.withTimeout(fn) : await this.semaphore.run(() => this.withTimeout(fn));
      } catch (err) {
        last = classifyFailure(err);
        onAttemptError?.(last);
        if (!last.retryable || attempt === this.maxAttempts) break;
        await sleep(this.backoff(attempt, last.retryAfterMs));
      }
    }
    const f = last as AttemptFailure;
    throw upstreamError(f.retryable ? `${f.reason} (after ${this.maxAttempts} attempts)` : f.reason);
  }

  backoff(attempt: number, retryAfterMs: number | null): number {
    if (retryAfterMs !== null) return Math.min(retryAfterMs, this.maxRetryAfterMs);
    const cap = this.baseDelayMs * 2 ** (attempt - 1);
    return Math.round(cap / 2 + Math.random() * (cap / 2));
  }

  private async withTimeout<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new TimeoutError(this.timeoutMs));
      }, this.timeoutMs);
    });
    try {
      return await Promise.race([fn(controller.signal), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
