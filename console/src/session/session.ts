/**
 * The signed-in session: the bearer JWT in sessionStorage (never localStorage:
 * it ends with the tab), its decoded claims, and why the last session ended.
 * The role and permissions start as the token's claims say and are replaced
 * by the server's current ones when GET /auth/me answers (applyIdentity; the
 * API client asks: src/api/client.ts). A tiny store that React reads with
 * useSyncExternalStore.
 */
import { PERMISSIONS, type Permission, ROLE_PERMISSIONS, ROLES, type Role } from './permissions';

const KEY = 'strata.console.token';

export interface Claims {
  sub: string;
  username: string;
  kind: 'admin' | 'user';
  role: Role | 'admin';
  tenant_id?: string;
  exp: number;
}

export interface Session {
  token: string;
  /** The token's claims, except `role`: the server's current role once GET /auth/me has answered. */
  claims: Claims;
  /** The role's permissions: from the token's role at first, then the server's current list (GET /auth/me). */
  permissions: ReadonlySet<Permission>;
}

/** What the session takes from GET /auth/me (the API's Me). */
export interface Identity {
  kind: string;
  id: string;
  role: string | null;
  permissions: readonly string[];
}

/** Reads a JWT's payload (no verification: the server verifies every request). Undefined when it is not a readable token. */
export function decodeClaims(token: string): Claims | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    const json = atob(
      part
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(part.length / 4) * 4, '='),
    );
    const c = JSON.parse(decodeURIComponent(escape(json))) as Partial<Claims>;
    if (typeof c.sub !== 'string' || typeof c.exp !== 'number' || (c.kind !== 'admin' && c.kind !== 'user')) return undefined;
    return c as Claims;
  } catch {
    return undefined;
  }
}

export function permissionsOf(claims: Claims): ReadonlySet<Permission> {
  if (claims.kind === 'admin') return new Set(PERMISSIONS);
  return new Set(ROLE_PERMISSIONS[claims.role as Role] ?? []);
}

type Listener = () => void;
const listeners = new Set<Listener>();
let current: Session | null = null;
let endedBecause: string | null = null;
let expiryTimer: ReturnType<typeof setTimeout> | undefined;

function emit() {
  for (const l of listeners) l();
}

function build(token: string, now = Date.now()): Session | null {
  const claims = decodeClaims(token);
  if (!claims || claims.exp * 1000 <= now) return null;
  return { token, claims, permissions: permissionsOf(claims) };
}

function armExpiry(session: Session) {
  clearTimeout(expiryTimer);
  // setTimeout holds at most ~24.8 days; a longer token is checked again then.
  const ms = Math.min(session.claims.exp * 1000 - Date.now(), 2 ** 31 - 1);
  expiryTimer = setTimeout(() => {
    if (current?.token === session.token) end('Your session has expired. Sign in again.');
  }, ms);
}

export const sessionStore = {
  subscribe(l: Listener): () => void {
    listeners.add(l);
    return () => listeners.delete(l);
  },
  get(): Session | null {
    return current;
  },
  /** The message shown on the sign-in page after a session ended by itself (expiry, a 401), once. */
  endedBecause(): string | null {
    return endedBecause;
  },
  /** Restores the tab's session on load; an expired or unreadable token is dropped with a message. */
  restore(): void {
    const token = sessionStorage.getItem(KEY);
    if (!token) return;
    const s = build(token);
    if (!s) {
      sessionStorage.removeItem(KEY);
      endedBecause = 'Your session has expired. Sign in again.';
      emit();
      return;
    }
    current = s;
    armExpiry(s);
    emit();
  },
  /** Starts a session from a login's token; false when the token is unreadable or already expired. */
  start(token: string): boolean {
    const s = build(token);
    if (!s) return false;
    sessionStorage.setItem(KEY, token);
    current = s;
    endedBecause = null;
    armExpiry(s);
    emit();
    return true;
  },
  /** Sign-out: forgets the token. */
  signOut(): void {
    end(null);
  },
  /**
   * The server refused the token (expired, revoked, password changed): back to sign-in with why.
   * With `token`, only if that is still the session's (a late answer to a signed-out session's request ends nothing).
   */
  expire(message: string, token?: string): void {
    if (current && (token === undefined || current.token === token)) end(message);
  },
  /**
   * The server's current role and permissions for the session that asked
   * (GET /auth/me with `token`): the controls follow them from now on. Ignored
   * when the session has changed since, or when the answer is not about this
   * session's account; listeners hear of it only when something changed.
   */
  applyIdentity(token: string, me: Identity): void {
    const s = current;
    if (!s || s.token !== token || me.kind !== s.claims.kind || me.id !== s.claims.sub || !Array.isArray(me.permissions)) return;
    const role = me.role as Claims['role'];
    if (s.claims.kind === 'admin' ? role !== 'admin' : !ROLES.includes(role as Role)) return;
    const permissions = new Set(PERMISSIONS.filter((p) => me.permissions.includes(p)));
    const same = role === s.claims.role && permissions.size === s.permissions.size && [...permissions].every((p) => s.permissions.has(p));
    if (same) return;
    current = { token, claims: { ...s.claims, role }, permissions };
    emit();
  },
};

function end(message: string | null) {
  clearTimeout(expiryTimer);
  sessionStorage.removeItem(KEY);
  current = null;
  endedBecause = message;
  emit();
}
