import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toErrorResponse } from './error-mapping';

/** Answers an error in another API's shape and returns true, or returns false to leave it to the envelope. */
export type AlternateErrorShape = (reply: FastifyReply, req: FastifyRequest, exception: unknown, logger: { error: (...a: unknown[]) => void }) => boolean;

/**
 * Every error leaving a route goes through here into the contract's envelope
 * (an `alternate` shape first: the LightRAG-compatible API answers its own URLs).
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(private readonly alternate?: AlternateErrorShape) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<FastifyRequest>();
    const reply = ctx.getResponse<FastifyReply>();
    if (this.alternate?.(reply, req, exception, this.logger)) return;
    sendError(reply, req, exception, this.logger);
  }
}

export function sendError(reply: FastifyReply, req: FastifyRequest, exception: unknown, logger: { error: (message: unknown, context?: string) => void }): void {
  const requestId = String(req.id);
  const res = toErrorResponse(exception, requestId);
  if (res.internal) {
    logger.error({ err: exception, request_id: requestId, method: req.method, url: req.url }, 'unhandled error');
  }
  if (reply.sent) return;
  reply.header('x-request-id', requestId);
  for (const [k, v] of Object.entries(res.headers)) reply.header(k, v);
  reply.status(res.status).type('application/json; charset=utf-8').send(JSON.stringify(res.body));
}
