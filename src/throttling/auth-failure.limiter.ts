import { Injectable, NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SecurityEvents } from '../context/security-events';
import { AppException } from '../common/app-exception';
import { MetricsService } from '../metrics/metrics.service';
import { RateLimitStorage, SlotRelease } from './rate-limit.storage';

/** Failed authentications allowed per client IP per window before the IP gets 429. */
export const AUTH_FAILURES_PER_WINDOW = 20;
export const AUTH_FAILURE_WINDOW_MS = 60_000;
/** Logins being verified at once per client IP and per username; more get 429 at once (argon2 costs 64 MiB and ~50 ms each). */
export const LOGINS_IN_FLIGHT = 4;
/** A replica that dies mid-login gives its slots back after this long. */
const LOGIN_SLOT_TTL_MS = 30_000;

/** A login that holds its slots and its reserved failure; end() must be called once it is decided. */
export interface LoginAttempt {
  /** The password was right: the reserved failure is taken back. */
  succeeded(): Promise<void>;
  /** Frees the in-flight slots (call in finally). */
  end(): Promise<void>;
}

function rateLimited(message: string, retryAfter: number): AppException {
  return new AppException('RATE_LIMITED', message, undefined, {
    'retry-after': String(retryAfter),
    'ratelimit-limit': String(AUTH_FAILURES_PER_WINDOW),
    'ratelimit-remaining': '0',
    'ratelimit-reset': String(retryAfter),
  });
}
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
      // A password login (bad_password) reserved its failure before verifying (beginLogin), so it is not counted twice.
      if (e.type === 'auth_failed' && e.reason !== 'missing' && e.reason !== 'bad_password' && e.ip)
        void this.storage.increment(`authfail:${e.ip}`, AUTH_FAILURE_WINDOW_MS, AUTH_FAILURES_PER_WINDOW).catch(() => undefined);
    });
  }

  /**
   * Before a password is verified: takes an in-flight slot for the IP and for
   * the username, then reserves one failure of the IP's budget atomically
   * (INCR in Redis), so N parallel wrong passwords can never all be verified
   * before the first one is counted. Throws 429 RATE_LIMITED (Retry-After)
   * when a cap is reached. The caller calls succeeded() on a right password
   * (the reservation is refunded) and end() in every case.
   */
  async beginLogin(ip: string | undefined, username: string): Promise<LoginAttempt> {
    const slots: SlotRelease[] = [];
    const end = async () => {
      await Promise.all(slots.splice(0).map((release) => release()));
    };
    for (const key of [ip ? `login-slots:ip:${ip}` : null, `login-slots:user:${username.toLowerCase()}`]) {
      if (!key) continue;
      const release = await this.storage.acquire(key, LOGINS_IN_FLIGHT, LOGIN_SLOT_TTL_MS);
      if (!release) {
        await end();
        throw rateLimited('Too many logins in progress for this address or username; retry after the delay in Retry-After.', 1);
      }
      slots.push(release);
    }
    if (!ip) return { succeeded: async () => undefined, end };
    const key = `authfail:${ip}`;
    const { totalHits, timeToExpire } = await this.storage.increment(key, AUTH_FAILURE_WINDOW_MS, AUTH_FAILURES_PER_WINDOW);
    if (totalHits > AUTH_FAILURES_PER_WINDOW) {
      await end();
      throw rateLimited('Too many failed authentication attempts from this address; retry after the delay in Retry-After.', timeToExpire);
    }
    let refunded = false;
    return {
      succeeded: async () => {
        if (refunded) return;
        refunded = true;
        await this.storage.refund(key);
      },
      end,
    };
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
