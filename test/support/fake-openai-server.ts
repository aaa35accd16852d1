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
 */
export type Fault =
  { kind: 'status'; status: number; retryAfter?: string; body?: string } | { kind: 'delay'; ms: number } | { kind: 'invalid_json' } | { kind: 'wrong_dimension'; dim: number };

export interface RecordedRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  at: number;
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
  private readonly faults: Fault[] = [];
  private server: Server | null = null;
  private readonly dim: number;

  constructor(opts: FakeOpenAiOptions = {}) {
    this.dim = opts.dim ?? 16;
    this.latencyMs = opts.latencyMs ?? 0;
  }

  /** The next `times` responses fail with `fault` (queued after faults already programmed). */
  fail(fault: Fault, times = 1): this {
    for (let i = 0; i < times; i++) this.faults.push(fault);
    return this;
  }

  reset(): void {
    this.requests.length = 0;
    this.faults.length = 0;
    this.maxInFlight = 0;
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
      this.requests.push({ path, headers: req.headers, body, at: Date.now() });
      if (this.latencyMs) await sleep(this.latencyMs);
      const fault = this.faults.shift();
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
