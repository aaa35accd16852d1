import { createCache } from '../common/cache';
import type { Principal } from '../context/principal';

const MAX_ENTRIES = 10_000;

/**
 * Tokens whose signature already checked out, kept until their own `exp`:
 * verifying a JWT costs a signature check, a cache lookup nothing. Only
 * successfully verified tokens enter; an entry is never used past the
 * token's expiry. Roles and activity are still re-read per request
 * (UserStatusService), so a cached token gains nothing a fresh one would not.
 * No event clears it: nothing about a token changes, only its user's state.
 */
export class VerifiedTokenCache {
  private readonly entries = createCache<string, { principal: Principal; expiresAt: number }>({ max: MAX_ENTRIES });

  get(token: string, now = Date.now()): Principal | undefined {
    const e = this.entries.get(token);
    if (!e) return undefined;
    if (e.expiresAt <= now) {
      this.entries.delete(token);
      return undefined;
    }
    return e.principal;
  }

  remember(token: string, principal: Principal, now = Date.now()): void {
    const exp = expiryOf(token);
    if (exp === null || exp <= now) return;
    this.entries.set(token, { principal, expiresAt: exp });
  }
}

/** The `exp` claim in ms, read from an already-verified token (null if absent). */
function expiryOf(token: string): number | null {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp * 1000 : null;
  } catch {
    return null;
  }
}
