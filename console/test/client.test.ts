import { api, ApiError, errorFrom, refreshSession } from '../src/api/client';
import { ROLE_PERMISSIONS } from '../src/session/permissions';
import { sessionStore } from '../src/session/session';
import { ADMIN, scriptFetch, signInAs, userOf, type Call } from './helpers';

/** GET /auth/me's answer for a tenant user of userOf(…) whose stored role is now `role`. */
const meAs = (role: 'owner' | 'member' | 'viewer', sub = 'u-owner') => ({
  body: {
    status: 'success',
    data: {
      kind: 'user',
      id: sub,
      username: 'owner-1',
      key_name: null,
      key_prefix: null,
      tenant_id: 'tenant-1',
      role,
      permissions: ROLE_PERMISSIONS[role],
      knowledge_base_ids: null,
      expires_at: null,
    },
  },
});
const isMe = (c: Call) => c.url === '/api/v1/auth/me';
const forbidden = (code = 'FORBIDDEN') => ({
  status: 403,
  body: { status: 'error', error: { code, message: 'This credential lacks the apikey:manage permission.', request_id: 'r403' } },
});

describe('API client', () => {
  afterEach(() => sessionStore.signOut());

  it('reads the error envelope: code, message, request id and field details', () => {
    const e = errorFrom(
      400,
      'Bad Request',
      {
        status: 'error',
        error: { code: 'VALIDATION_ERROR', message: 'The request is invalid.', request_id: 'req-1', details: [{ field: 'kb_name', message: 'must not be blank' }, { nope: 1 }] },
      },
      'req-header',
    );
    expect(e).toBeInstanceOf(ApiError);
    expect(e).toMatchObject({ status: 400, code: 'VALIDATION_ERROR', message: 'The request is invalid.', requestId: 'req-1' });
    expect(e.details).toEqual([{ field: 'kb_name', message: 'must not be blank' }]);
  });

  it('an answer without the envelope (a proxy’s 502 page) still becomes a readable error with the header’s request id', () => {
    const e = errorFrom(502, 'Bad Gateway', '<html>oops</html>', 'req-h');
    expect(e.code).toBe('HTTP_502');
    expect(e.message).toBe('The server answered 502 Bad Gateway without an error message.');
    expect(e.requestId).toBe('req-h');
  });

  it('sends the bearer token and unwraps data and meta', async () => {
    signInAs(ADMIN);
    const calls = scriptFetch((c) =>
      c.url === '/api/v1/tenants?limit=2' ? { body: { status: 'success', data: [{ tenant_id: 't' }], meta: { total: 1, limit: 2, offset: 0 } } } : undefined,
    );
    const r = await api('GET', '/tenants?limit=2');
    expect(r.data).toEqual([{ tenant_id: 't' }]);
    expect(r.meta).toEqual({ total: 1, limit: 2, offset: 0 });
    expect(calls[0].headers.authorization).toBe(`Bearer ${sessionStore.get()!.token}`);
  });

  it('a 401 on a signed-in call ends the session with the reason; a failed sign-in does not', async () => {
    scriptFetch(() => ({ status: 401, body: { status: 'error', error: { code: 'UNAUTHENTICATED', message: 'Wrong username or password.', request_id: 'r1' } } }));
    await expect(api('POST', '/auth/login', { body: {}, anonymous: true })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(sessionStore.endedBecause()).toBeNull();

    // The server still knows the admin when the session starts (GET /auth/me); the token expires afterwards.
    scriptFetch(
      (c) => (isMe(c) ? { body: { status: 'success', data: { kind: 'admin', id: 'a1', role: 'admin', permissions: [] } } } : undefined),
      () => ({ status: 401, body: { status: 'error', error: { code: 'UNAUTHENTICATED', message: 'The token has expired.', request_id: 'r2' } } }),
    );
    signInAs(ADMIN);
    await refreshSession();
    await expect(api('GET', '/tenants')).rejects.toMatchObject({ status: 401, requestId: 'r2' });
    expect(sessionStore.get()).toBeNull();
    expect(sessionStore.endedBecause()).toContain('The token has expired.');
    expect(sessionStorage.length).toBe(0);
  });

  it('sign-in asks GET /auth/me, and the controls follow the server’s current role, not the token’s', async () => {
    const calls = scriptFetch((c) => (isMe(c) ? meAs('viewer') : undefined));
    signInAs(userOf('owner'));
    expect(calls.map((c) => c.url)).toEqual(['/api/v1/auth/me']);
    expect(calls[0].headers.authorization).toBe(`Bearer ${sessionStore.get()!.token}`);
    await refreshSession();
    const s = sessionStore.get()!;
    expect(s.claims.role).toBe('viewer');
    expect([...s.permissions]).toEqual(ROLE_PERMISSIONS.viewer);
    expect(s.permissions.has('apikey:manage')).toBe(false);
  });

  it('a 403 FORBIDDEN asks again (once for several at a time): a demoted owner loses the owner’s controls', async () => {
    let stored: 'owner' | 'member' = 'owner';
    const calls = scriptFetch(
      (c) => (isMe(c) ? meAs(stored) : undefined),
      (c) => (c.url.includes('/api-keys') ? forbidden() : undefined),
    );
    signInAs(userOf('owner'));
    await refreshSession();
    expect(sessionStore.get()!.permissions.has('apikey:manage')).toBe(true);
    stored = 'member'; // an owner demotes this user meanwhile
    await Promise.all([
      expect(api('GET', '/tenants/tenant-1/api-keys')).rejects.toMatchObject({ status: 403 }),
      expect(api('DELETE', '/tenants/tenant-1/api-keys/k1')).rejects.toMatchObject({ status: 403 }),
    ]);
    await refreshSession();
    expect(calls.filter(isMe)).toHaveLength(2);
    expect(sessionStore.get()!.claims.role).toBe('member');
    expect(sessionStore.get()!.permissions.has('apikey:manage')).toBe(false);
    expect(sessionStore.get()!.permissions.has('kb:write')).toBe(true);
  });

  it('another refusal (403 TENANT_SUSPENDED) does not ask; a failed GET /auth/me keeps the session as it was', async () => {
    const calls = scriptFetch(
      (c) => (isMe(c) ? { status: 503, body: { status: 'error', error: { code: 'UNAVAILABLE', message: 'Down.', request_id: 'r' } } } : undefined),
      () => forbidden('TENANT_SUSPENDED'),
    );
    signInAs(userOf('owner'));
    await refreshSession();
    await expect(api('GET', '/tenants/tenant-1')).rejects.toMatchObject({ code: 'TENANT_SUSPENDED' });
    expect(calls.filter(isMe)).toHaveLength(1);
    expect(sessionStore.get()!.claims.role).toBe('owner');
    expect(sessionStore.get()!.permissions.has('user:manage')).toBe(true);
  });

  it('the tab becoming visible again asks GET /auth/me', async () => {
    let stored: 'owner' | 'viewer' = 'owner';
    const calls = scriptFetch((c) => (isMe(c) ? meAs(stored) : undefined));
    signInAs(userOf('owner'));
    await refreshSession();
    stored = 'viewer';
    const visibility = jest.spyOn(document, 'visibilityState', 'get');
    try {
      visibility.mockReturnValue('hidden');
      document.dispatchEvent(new Event('visibilitychange'));
      expect(calls.filter(isMe)).toHaveLength(1);
      visibility.mockReturnValue('visible');
      document.dispatchEvent(new Event('visibilitychange'));
      expect(calls.filter(isMe)).toHaveLength(2);
      await refreshSession();
      expect(sessionStore.get()!.claims.role).toBe('viewer');
    } finally {
      visibility.mockRestore();
    }
  });

  it('a disabled user: GET /auth/me answers 401, and the console returns to sign-in with the reason', async () => {
    scriptFetch((c) =>
      isMe(c) ? { status: 401, body: { status: 'error', error: { code: 'UNAUTHENTICATED', message: 'This user no longer exists or is disabled.', request_id: 'r' } } } : undefined,
    );
    signInAs(userOf('member'));
    await refreshSession();
    expect(sessionStore.get()).toBeNull();
    expect(sessionStore.endedBecause()).toContain('This user no longer exists or is disabled.');
  });

  it('a late 401 for a session that has ended does not end the next one', async () => {
    let answer!: (r: Response) => void;
    globalThis.fetch = jest.fn(() => new Promise<Response>((resolve) => (answer = resolve))) as typeof fetch;
    signInAs(userOf('member'));
    const late = api('GET', '/tenants/tenant-1');
    sessionStore.signOut();
    scriptFetch((c) => (isMe(c) ? meAs('owner') : undefined));
    signInAs(userOf('owner'));
    answer({ ok: false, status: 401, statusText: '', headers: { get: () => null }, text: async () => '' } as unknown as Response);
    await expect(late).rejects.toMatchObject({ status: 401 });
    expect(sessionStore.get()?.claims.role).toBe('owner');
  });

  it('a network failure is an error the page can show, not a silent rejection', async () => {
    globalThis.fetch = jest.fn(async () => {
      throw new TypeError('fetch failed');
    }) as typeof fetch;
    await expect(api('GET', '/tenants')).rejects.toMatchObject({ code: 'NETWORK_ERROR', message: expect.stringContaining('Could not reach') });
  });
});
