import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * A small, real OpenAI-compatible HTTP server for tests (127.0.0.1, port 0):
 * POST /v1/embeddings and POST /v1/chat/completions (plain and SSE stream),
 * with usage token counts, programmable faults, a record of every request and
 * the highest number of requests in flight at once.
 *
 * Chat answers depend on the prompt: a prompt mentioning
 * `high_level_keywords` gets keywords JSON, one mentioning `"entities"` gets
 * extraction JSON, anything else gets a short answer quoting the last user
 * message.
 *
 * Faults (`fail`): an HTTP status, a delay, a chat answer that is not JSON
 * (invalid_json), embeddings of the wrong width, a connection reset with no
 * response (reset), a request never answered until the client gives up or
 * the server stops (hang; `after: 'headers'`: a 200's headers, then no body), or a 200 whose body is not what it claims to be
 * (malformed: by default `application/json` with an HTML body). A fault may
 * be scoped to one endpoint, one API key or requests whose body contains a
 * marker, so that other callers keep flowing.
 */
export type Fault =
  | { kind: 'status'; status: number; retryAfter?: string; body?: string }
  | { kind: 'delay'; ms: number }
  | { kind: 'invalid_json' }
  | { kind: 'wrong_dimension'; dim: number }
  | { kind: 'reset' }
  | { kind: 'hang'; after?: 'headers' }
  | { kind: 'malformed'; contentType?: string; body?: string };

/** Which requests a fault applies to (every condition given must hold; none: every request). */
export interface FaultScope {
  path?: 'embeddings' | 'chat';
  /** The API key the request was sent with (`Authorization: Bearer <apiKey>`). */
  apiKey?: string;
  /** A text the raw request body contains (a marker in one tenant's document or query). */
  bodyIncludes?: string;
}

export interface RecordedRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  at: number;
  /** The fault this request was answered with, if any. */
  fault?: Fault['kind'];
}

/** The body a `malformed` fault sends by default: what a proxy in front of a model server answers when it fails. */
export const MALFORMED_BODY = '<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><p>upstream sent an invalid response</p></body></html>';

interface FaultRule {
  fault: Fault;
  left: number;
  scope: FaultScope;
}

export interface FakeOpenAiOptions {
  /** Embedding width when the request does not send `dimensions` (default 16). */
  dim?: number;
  /** Delay added to every response, to make concurrency observable (default 0). */
  latencyMs?: number;
}

export class FakeOpenAiServer {
  readonly requests: RecordedRequest[] = [];
  maxInFlight = 0;
  latencyMs: number;
  private inFlight = 0;
  private readonly faults: FaultRule[] = [];
  /** Responses held open by `hang` faults, released (destroyed) by stop(). */
  private readonly hanging = new Set<ServerResponse>();
  private server: Server | null = null;
  private readonly dim: number;

  constructor(opts: FakeOpenAiOptions = {}) {
    this.dim = opts.dim ?? 16;
    this.latencyMs = opts.latencyMs ?? 0;
  }

  /**
   * The next `times` requests within `scope` fail with `fault` (`Infinity`:
   * every one until `clearFaults`/`reset`). Faults are queued: a request
   * takes the first programmed fault whose scope it matches.
   */
  fail(fault: Fault, times = 1, scope: FaultScope = {}): this {
    if (times > 0) this.faults.push({ fault, left: times, scope });
    return this;
  }

  /** Drops every programmed fault (requests in a hang stay held until the client gives up or stop()). */
  clearFaults(): void {
    this.faults.length = 0;
  }

  reset(): void {
    this.requests.length = 0;
    this.faults.length = 0;
    this.maxInFlight = 0;
  }

  /** Requests held open by a `hang` fault right now. */
  get hangingNow(): number {
    return this.hanging.size;
  }

  get url(): string {
    const addr = this.server?.address() as AddressInfo | null;
    if (!addr) throw new Error('FakeOpenAiServer is not started');
    return `http://127.0.0.1:${addr.port}/v1`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    let closed = false;
    res.on('close', () => {
      if (!closed) {
        closed = true;
        this.inFlight--;
      }
    });
    try {
      const raw = await readBody(req);
      let body: any;
      try {
        body = raw ? JSON.parse(raw) : {};
      } catch {
        return send(res, 400, { error: { message: 'invalid JSON body', type: 'invalid_request_error' } });
      }
      const path = (req.url ?? '').split('?')[0];
      const fault = this.takeFault(path, req.headers.authorization, raw);
      this.requests.push({ path, headers: req.headers, body, at: Date.now(), ...(fault ? { fault: fault.kind } : {}) });
      if (this.latencyMs) await sleep(this.latencyMs);
      if (fault?.kind === 'reset') {
        // A TCP RST where the client expects a response (ECONNRESET on its side).
        req.socket.resetAndDestroy();
        return;
      }
      if (fault?.kind === 'hang') {
        if (res.destroyed || req.socket.destroyed) return;
        if (fault.after === 'headers') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.flushHeaders();
        }
        this.hanging.add(res);
        await new Promise<void>((resolve) => res.on('close', resolve));
        this.hanging.delete(res);
        return;
      }
      if (fault?.kind === 'malformed') {
        if (res.destroyed) return;
        res.writeHead(200, { 'content-type': fault.contentType ?? 'application/json' });
        res.end(fault.body ?? MALFORMED_BODY);
        return;
      }
      if (fault?.kind === 'status') {
        const headers: Record<string, string> = fault.retryAfter !== undefined ? { 'retry-after': fault.retryAfter } : {};
        return send(res, fault.status, { error: { message: fault.body ?? `fake failure ${fault.status}`, type: 'server_error' } }, headers);
      }
      if (fault?.kind === 'delay') {
        await sleep(fault.ms);
        if (res.destroyed) return;
      }
      if (path.endsWith('/embeddings')) return this.embeddings(res, body, fault);
      if (path.endsWith('/chat/completions')) return this.chat(res, body, fault);
      send(res, 404, { error: { message: `no route ${path}` } });
    } catch (err) {
      if (!res.headersSent) send(res, 500, { error: { message: String(err) } });
    }
  }

  private takeFault(path: string, authorization: string | undefined, raw: string): Fault | undefined {
    const i = this.faults.findIndex(({ scope }) => {
      if (scope.path === 'embeddings' && !path.endsWith('/embeddings')) return false;
      if (scope.path === 'chat' && !path.endsWith('/chat/completions')) return false;
      if (scope.apiKey !== undefined && authorization !== `Bearer ${scope.apiKey}`) return false;
      return scope.bodyIncludes === undefined || raw.includes(scope.bodyIncludes);
    });
    if (i < 0) return undefined;
    const rule = this.faults[i];
    if (--rule.left <= 0) this.faults.splice(i, 1);
    return rule.fault;
  }

  private embeddings(res: ServerResponse, body: any, fault: Fault | undefined): void {
    const inputs: string[] = Array.isArray(body.input) ? body.input : [body.input];
    const dim = fault?.kind === 'wrong_dimension' ? fault.dim : (body.dimensions ?? this.dim);
    const data = inputs.map((text, index) => {
      const v = fakeVector(String(text), dim);
      const embedding = body.encoding_format === 'base64' ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v;
      return { object: 'embedding', index, embedding };
    });
    const tokens = inputs.reduce((n, t) => n + countWords(String(t)), 0);
    send(res, 200, { object: 'list', model: body.model, data, usage: { prompt_tokens: tokens, total_tokens: tokens } });
  }

  private chat(res: ServerResponse, body: any, fault: Fault | undefined): void {
    const messages: Array<{ role: string; content: string }> = body.messages ?? [];
    const all = messages.map((m) => m.content).join('\n');
    const lastUser = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
    let content: string;
    if (fault?.kind === 'invalid_json') content = 'Sure! Here are the entities: Acme, Paris (sorry, no JSON)';
    else if (all.includes('high_level_keywords')) content = JSON.stringify({ high_level_keywords: ['company history'], low_level_keywords: ['Acme', 'Paris'] });
    else if (all.includes('"entities"')) {
      content = JSON.stringify({
        entities: [
          { name: 'Acme', type: 'organization', description: 'Acme is a company founded in Paris.' },
          { name: 'Paris', type: 'location', description: 'Paris is the city where Acme was founded.' },
        ],
        relations: [{ source: 'Acme', target: 'Paris', keywords: 'founded in', description: 'Acme was founded in Paris.', weight: 8 }],
      });
    } else content = `Fake answer to: ${lastUser.slice(0, 200)} [1]`;
    const promptTokens = countWords(all);
    const completionTokens = countWords(content);
    const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
    const id = `chatcmpl-fake-${this.requests.length}`;
    const created = Math.floor(Date.now() / 1000);
    if (!body.stream) {
      return send(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
        usage,
      });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const pieces = content.match(/.{1,8}/gs) ?? [];
    const chunk = (delta: object, finish: string | null, extra: object = {}) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;
    res.write(chunk({ role: 'assistant', content: '' }, null));
    for (const p of pieces) res.write(chunk({ content: p }, null));
    res.write(chunk({}, 'stop'));
    if (body.stream_options?.include_usage) {
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [], usage })}\n\n`);
    }
    res.end('data: [DONE]\n\n');
  }
}

/** Deterministic unit vector of `dim` numbers from the text. */
export function fakeVector(text: string, dim: number): number[] {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  const v: number[] = [];
  for (let i = 0; i < dim; i++) {
    h = Math.imul(h ^ (h >>> 15), 2246822519) >>> 0;
    v.push((h % 2000) / 1000 - 1);
  }
  const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
  return v.map((x) => x / n);
}

function countWords(s: string): number {
  return (s.match(/\S+/g) ?? []).length;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
