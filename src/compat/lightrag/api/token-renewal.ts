import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { FastifyRequest } from 'fastify';
import { AuthService } from '../../../auth/auth.service';
import { createCache } from '../../../common/cache';
import { AppConfig } from '../../../config/app-config';
import type { Principal } from '../../../context/principal';

/** Routes LightRAG never renews on (utils_api.py): clients poll them, and would otherwise renew on every poll. */
const NO_RENEWAL = /\/(health|documents\/paginated|documents\/pipeline_status)\/?$/;
/** At most one renewal per account this often (LightRAG's own rate). */
const RENEW_EVERY_MS = 60_000;
const BEARER = /^Bearer\s+(\S+)$/i;

/**
 * LightRAG's token renewal (TOKEN_AUTO_RENEW, TOKEN_RENEW_THRESHOLD): a
 * LightRAG-compatible response to a bearer token with less than the
 * threshold of its life left carries a fresh token in `X-New-Token`, which
 * the LightRAG WebUI stores in place of the old one, so an active session
 * does not end at the token's expiry. Only after the guard accepted the
 * token (so only for an active account at the token's version); at most once
 * per account every RENEW_EVERY_MS (per process); never for an API key.
 */
@Injectable()
export class TokenRenewal {
  private readonly recent = createCache<string, true>({ max: 10_000, ttlMs: RENEW_EVERY_MS });

  constructor(
    private readonly config: AppConfig,
    private readonly jwt: JwtService,
    private readonly auth: AuthService,
  ) {}

  /** The X-New-Token for a request the guard let through as `principal`, or null. */
  async forRequest(req: FastifyRequest, principal: Principal | undefined): Promise<string | null> {
    const { tokenAutoRenew, tokenRenewThreshold } = this.config.settings;
    if (!tokenAutoRenew || !principal || principal.kind === 'api_key') return null;
    if (NO_RENEWAL.test(req.url.split('?')[0])) return null;
    const bearer = BEARER.exec(String(req.headers.authorization ?? ''));
    if (!bearer) return null;
    // Verified by the guard already: only its times are read here.
    const claims = this.jwt.decode<{ iat?: unknown; exp?: unknown } | null>(bearer[1]);
    if (!claims || typeof claims.iat !== 'number' || typeof claims.exp !== 'number' || claims.exp <= claims.iat) return null;
    const left = claims.exp - Date.now() / 1000;
    if (left >= tokenRenewThreshold * (claims.exp - claims.iat)) return null;
    const account = `${principal.kind}:${principal.id}`;
    if (this.recent.has(account)) return null;
    this.recent.set(account, true);
    return this.auth.renewToken(principal);
  }
}
