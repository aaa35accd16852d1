import { Injectable, NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SecurityEvents } from '../auth/security-events';
import { MetricsService } from '../metrics/metrics.service';
import { RateLimitStorage } from './rate-limit.storage';

/** Failed authentications allowed per client IP per window before the IP gets 429. */
export const AUTH_FAILURES_PER_WINDOW = 20;
export const AUTH_FAILURE_WINDOW_MS = 60_000;
const EXEMPT = /^\/(health|metrics)(\/|\?|$)/;

/**
 * Brute force on keys or passwords: every failed authentication (from the
 * guard's SecurityEvents, login included) counts against the client IP.
 * A singleton provider (Nest builds middleware instances separately, so the
 * subscription lives here, once).
 */
@Injectable()
export class AuthFailureCounter {
  constructor(
    private readonly storage: RateLimitStorage,
    events: SecurityEvents,
  ) {
    events.subscribe((e) => {
      // Sending no credentials is not guessing: only wrong, expired or revoked ones count.
      if (e.type === 'auth_failed' && e.reason !== 'missing' && e.ip) void this.storage.increment(`authfail:${e.ip}`, AUTH_FAILURE_WINDOW_MS, AUTH_FAILURES_PER_WINDOW).catch(() => undefined);
    });
  }

  /** Seconds the IP must wait, or 0 when it may try again. */
  async blockedFor(ip: string): Promise<number> {
    const { hits, secondsLeft } = await this.storage.peek(`authfail:${ip}`);
    return hits >= AUTH_FAILURES_PER_WINDOW ? Math.max(1, secondsLeft) : 0;
  }
}

/**
 * Once an IP has AUTH_FAILURES_PER_WINDOW failures in the window, its
 * requests are refused with 429 before any credential is checked, until the
 * window ends. A Nest middleware, so it runs before every guard without
 * reordering them.
 */
@Injectable()
export class AuthFailureLimiter implements NestMiddleware {
  constructor(
    private readonly counter: AuthFailureCounter,
    private readonly metrics: MetricsService,
  ) {}

  async use(req: IncomingMessage & { ip?: string; id?: string; originalUrl?: string }, res: ServerResponse, next: (err?: unknown) => void): Promise<void> {
    const ip = req.ip ?? req.socket?.remoteAddress;
    if (!ip || EXEMPT.test(req.originalUrl ?? req.url ?? '')) return next();
    const wait = await this.counter.blockedFor(ip);
    if (!wait) return next();
    this.metrics.rateLimited.inc({ tenant_id: 'none', category: 'auth_failures' });
    const requestId = String(req.id ?? '');
    const retryAfter = String(wait);
    res.statusCode = 429;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.setHeader('retry-after', retryAfter);
    res.setHeader('ratelimit-limit', String(AUTH_FAILURES_PER_WINDOW));
    res.setHeader('ratelimit-remaining', '0');
    res.setHeader('ratelimit-reset', retryAfter);
    if (requestId) res.setHeader('x-request-id', requestId);
    res.end(
      JSON.stringify({
        status: 'error',
        error: { code: 'RATE_LIMITED', message: 'Too many failed authentication attempts from this address; retry after the delay in Retry-After.', request_id: requestId },
      }),
    );
  }
}
