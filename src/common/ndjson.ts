import type { FastifyReply } from 'fastify';

/**
 * Streams `lines` as NDJSON (application/x-ndjson, one JSON object per line)
 * on a hijacked reply: 200, no-cache, X-Request-Id and `headers`. A client
 * that goes away ends the iteration (so an upstream model stream stops).
 * Errors raised before the first line must be thrown before calling this.
 */
export async function sendNdjson(reply: FastifyReply, lines: AsyncIterable<unknown>, headers: Record<string, string> = {}): Promise<void> {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { ...headers, 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-cache', 'x-request-id': String(reply.request.id) });
  try {
    for await (const line of lines) {
      if (raw.destroyed) break;
      raw.write(JSON.stringify(line) + '\n');
    }
  } finally {
    raw.end();
  }
}
