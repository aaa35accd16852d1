import { ROLE_PERMISSIONS } from '../src/session/permissions';
import { decodeClaims, sessionStore } from '../src/session/session';
import { ADMIN, tokenFor, userOf } from './helpers';

describe('session', () => {
  afterEach(() => {
    sessionStore.signOut();
    sessionStorage.clear();
    localStorage.clear();
  });

  it('keeps the token in sessionStorage only, never localStorage; sign-out clears it', () => {
    expect(sessionStore.start(tokenFor(userOf('member')))).toBe(true);
    expect(sessionStorage.getItem('strata.console.token')).toEqual(expect.any(String));
    expect(localStorage.length).toBe(0);
    expect(sessionStore.get()!.claims).toMatchObject({ username: 'member-1', role: 'member', tenant_id: 'tenant-1' });
    sessionStore.signOut();
    expect(sessionStore.get()).toBeNull();
    expect(sessionStorage.length).toBe(0);
    expect(sessionStore.endedBecause()).toBeNull();
  });

  it('permissions follow the role: admin everything, member no key or user management, viewer read only', () => {
    sessionStore.start(tokenFor(ADMIN));
    expect(sessionStore.get()!.permissions.has('apikey:manage')).toBe(true);
    sessionStore.start(tokenFor(userOf('member')));
    const member = sessionStore.get()!.permissions;
    expect(member.has('kb:write')).toBe(true);
    expect(member.has('apikey:manage')).toBe(false);
    expect(member.has('user:manage')).toBe(false);
    sessionStore.start(tokenFor(userOf('viewer')));
    const viewer = sessionStore.get()!.permissions;
    expect([...viewer].some((p) => /:(write|delete|manage)$/.test(p))).toBe(false);
  });

  it('an expired or unreadable token is refused; restoring an expired one asks to sign in again', () => {
    expect(sessionStore.start(tokenFor(ADMIN, -5))).toBe(false);
    expect(sessionStore.start('not-a-jwt')).toBe(false);
    expect(decodeClaims('a.b.c')).toBeUndefined();
    sessionStorage.setItem('strata.console.token', tokenFor(ADMIN, -5));
    sessionStore.restore();
    expect(sessionStore.get()).toBeNull();
    expect(sessionStorage.length).toBe(0);
    expect(sessionStore.endedBecause()).toMatch(/expired/);
  });

  it('a session ends by itself when its token expires', () => {
    jest.useFakeTimers();
    try {
      sessionStore.start(tokenFor(ADMIN, 60));
      jest.advanceTimersByTime(61_000);
      expect(sessionStore.get()).toBeNull();
      expect(sessionStore.endedBecause()).toMatch(/expired/);
    } finally {
      jest.useRealTimers();
    }
  });
  it('the server’s current role (GET /auth/me) replaces the token’s: role and permissions follow it, listeners hear of it once', () => {
    sessionStore.start(tokenFor(userOf('owner')));
    const token = sessionStore.get()!.token;
    const heard = jest.fn();
    const stop = sessionStore.subscribe(heard);
    try {
      sessionStore.applyIdentity(token, { kind: 'user', id: 'u-owner', role: 'owner', permissions: [...ROLE_PERMISSIONS.owner] });
      expect(heard).not.toHaveBeenCalled(); // nothing changed
      sessionStore.applyIdentity(token, { kind: 'user', id: 'u-owner', role: 'viewer', permissions: [...ROLE_PERMISSIONS.viewer, 'no:such'] });
      expect(heard).toHaveBeenCalledTimes(1);
      const s = sessionStore.get()!;
      expect(s.claims).toMatchObject({ sub: 'u-owner', username: 'owner-1', tenant_id: 'tenant-1', role: 'viewer' });
      expect([...s.permissions]).toEqual(ROLE_PERMISSIONS.viewer);
      expect(s.token).toBe(token);
      expect(sessionStorage.getItem('strata.console.token')).toBe(token);
    } finally {
      stop();
    }
  });

  it('an answer for another token, another account or with an unknown role changes nothing', () => {
    sessionStore.start(tokenFor(userOf('owner')));
    const token = sessionStore.get()!.token;
    const viewer = { kind: 'user', id: 'u-owner', role: 'viewer', permissions: [...ROLE_PERMISSIONS.viewer] };
    sessionStore.applyIdentity(tokenFor(userOf('owner')) + 'x', viewer);
    sessionStore.applyIdentity(token, { ...viewer, id: 'u-other' });
    sessionStore.applyIdentity(token, { ...viewer, kind: 'api_key' });
    sessionStore.applyIdentity(token, { ...viewer, role: 'superuser' });
    sessionStore.applyIdentity(token, { ...viewer, permissions: 'all' as unknown as string[] });
    expect(sessionStore.get()!.claims.role).toBe('owner');
    expect(sessionStore.get()!.permissions.has('user:manage')).toBe(true);
    sessionStore.signOut();
    sessionStore.applyIdentity(token, viewer);
    expect(sessionStore.get()).toBeNull();
  });
});
