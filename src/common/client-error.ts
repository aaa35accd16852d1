import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { ErrorCode, STATUS_OF_CODE } from './app-exception';

/** What Node's HTTP parser refused, as a code and a sentence of the contract's envelope. */
function describe(err: { code?: string }): { code: ErrorCode; message: string } {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { code: 'HEADERS_TOO_LARGE', message: 'The request line and headers are larger than this server accepts (16 KB).' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { code: 'REQUEST_TIMEOUT', message: 'The request was not received in time.' };
    default:
      return {
        code: 'VALIDATION_ERROR',
        message: 'The request is not valid HTTP: check the request line, the headers and that Content-Length matches the body.',
      };
  }
}

/**
 * Fastify's clientErrorHandler: a request Node's parser cannot read (bad
 * request line, invalid or conflicting Content-Length, bytes left over after a
 * body shorter than its Content-Length, oversized headers) never reaches
 * Fastify's routing, so it is answered here, in the envelope, with a fresh
 * X-Request-Id, and the connection is closed (its framing cannot be trusted).
 */
export function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const { code, message } = describe(err);
  const status = STATUS_OF_CODE[code];
  const requestId = randomUUID();
  const body = JSON.stringify({ status: 'error', error: { code, message, request_id: requestId } });
  if (socket.writable) {
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${requestId}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  } else socket.destroy();
}
