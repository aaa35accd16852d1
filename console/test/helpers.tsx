/** Test helpers for the console's component tests: tokens shaped like the server's, a scripted fetch, and the app's routes rendered at a path. */
import { render } from '@testing-library/react';
import { Router } from 'wouter';
import { memoryLocation } from 'wouter/memory-location';
import { Routes } from '../src/App';
import { sessionStore } from '../src/session/session';

export function tokenFor(claims: Record<string, unknown>, expInSeconds = 3600): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ exp: Math.floor(Date.now() / 1000) + expInSeconds, ver: 1, ...claims })}.c2lnbmF0dXJl`;
}

export const ADMIN = { sub: 'a1', username: 'admin', kind: 'admin', role: 'admin' };
export const userOf = (role: 'owner' | 'member' | 'viewer') => ({ sub: `u-${role}`, username: `${role}-1`, kind: 'user', role, tenant_id: 'tenant-1' });

export function signInAs(claims: Record<string, unknown>): void {
  if (!sessionStore.start(tokenFor(claims))) throw new Error('test token refused');
}

export interface Call {
  method: string;
  url: string;
  body?: unknown;
  headers: Record<string, string>;
}

type Handler = (call: Call) => { status?: number; body?: unknown; text?: string; requestId?: string } | undefined;

/** Replaces fetch: each request is recorded and answered by the first handler that returns something (else a 404 envelope). */
export function scriptFetch(...handlers: Handler[]): Call[] {
  const calls: Call[] = [];
  globalThis.fetch = jest.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const call: Call = {
      method: init?.method ?? 'GET',
      url: String(input),
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
      headers: (init?.headers ?? {}) as Record<string, string>,
    };
    calls.push(call);
    const found = handlers.map((h) => h(call)).find(Boolean) ?? {
      status: 404,
      body: { status: 'error', error: { code: 'NOT_FOUND', message: 'No route matches this method and path.', request_id: 'req-404' } },
    };
    const status = found.status ?? 200;
    const text = found.text ?? (found.body === undefined ? '' : JSON.stringify(found.body));
    return {
      ok: status >= 200 && status < 300,
      status,
      statusText: '',
      headers: { get: (h: string) => (h.toLowerCase() === 'x-request-id' ? (found.requestId ?? 'req-header') : null) },
      text: async () => text,
    } as unknown as Response;
  }) as typeof fetch;
  return calls;
}

export const page = <T,>(data: T[]) => ({ body: { status: 'success', data, meta: { total: data.length, limit: 20, offset: 0 } } });

/** The console's routes rendered at `path` (an in-memory location). */
export function renderAt(path: string) {
  const { hook } = memoryLocation({ path });
  return render(
    <Router hook={hook}>
      <Routes />
    </Router>,
  );
}
