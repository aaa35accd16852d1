import { randomInt } from 'node:crypto';
import { request as httpRequest } from 'node:http';

export interface Credentials {
  token?: string;
  key?: string;
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** A small fetch wrapper for the HTTP tests: JSON in, parsed envelope out. */
export class Http {
  constructor(readonly baseUrl: string) {}

  async request<T = any>(
    method: string,
    path: string,
    opts: { body?: unknown; raw?: string | Buffer | FormData; as?: Credentials; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.as?.token) headers.authorization = `Bearer ${opts.as.token}`;
    if (opts.as?.key) headers['x-api-key'] = opts.as.key;
    let body: RequestInit['body'] | undefined;
    if (opts.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = JSON.stringify(opts.body);
    } else if (opts.raw !== undefined) {
      body = opts.raw as RequestInit['body'];
    }
    const res = await fetch(this.baseUrl + path, { method, headers, body });
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON (metrics, docs UI, streams)
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  }

  get<T = any>(path: string, as?: Credentials) {
    return this.request<T>('GET', path, { as });
  }
  post<T = any>(path: string, body: unknown, as?: Credentials) {
    return this.request<T>('POST', path, { body, as });
  }
  patch<T = any>(path: string, body: unknown, as?: Credentials) {
    return this.request<T>('PATCH', path, { body, as });
  }
  delete<T = any>(path: string, as?: Credentials) {
    return this.request<T>('DELETE', path, { as });
  }
}

/**
 * One JSON request from a chosen loopback source address (127.x.y.z), for
 * tests of per-client-IP budgets: each address has a budget of its own.
 */
export function requestFrom(
  baseUrl: string,
  from: string,
  method: string,
  path: string,
  opts: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; retryAfter: string | undefined; code: string }> {
  return new Promise((resolve, reject) => {
    const payload = opts.body === undefined ? '' : JSON.stringify(opts.body);
    const headers: Record<string, string | number> = { ...(opts.headers ?? {}) };
    if (payload) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
    const req = httpRequest(`${baseUrl}${path}`, { method, localAddress: from, agent: false, headers }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        let code = '';
        try {
          code = JSON.parse(text)?.error?.code ?? '';
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined, code });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** A loopback address of its own (127.x.y.z): a per-IP budget not shared with any other test or run (even on a shared Redis). */
export const ownLoopback = () => `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
