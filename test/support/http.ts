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
