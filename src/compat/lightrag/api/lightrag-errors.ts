import { ArgumentsHost, Catch, ExceptionFilter, Injectable, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toErrorResponse } from '../../../common/error-mapping';
import { AppConfig } from '../../../config/app-config';
import type { Settings } from '../../../config/settings';
import { compatResponseHeaders } from './lightrag-headers';

/** One entry of a pydantic validation error list, as FastAPI sends it in a 422. */
export interface PydanticError {
  type: string;
  loc: Array<string | number>;
  msg: string;
  input?: unknown;
  ctx?: Record<string, unknown>;
}

/** A request body that fails the LightRAG shapes: 422 {"detail": [ … ]} (400 on /query/data, as LightRAG). */
export class LightragValidationError extends Error {
  constructor(readonly errors: PydanticError[]) {
    super(errors.map((e) => `${e.loc.join('.')}: ${e.msg}`).join('; '));
    this.name = 'LightragValidationError';
  }
}

/** An error raised by a compat handler with LightRAG's own status and detail text. */
export class LightragHttpError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'LightragHttpError';
  }
}

export type ErrorFlavour = 'detail' | 'ollama' | 'query-data';

export interface CompatErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  internal: boolean;
}

function hasApiKey(req: FastifyRequest): boolean {
  const key = req.headers['x-api-key'];
  if (typeof key === 'string' && key.length > 0) return true;
  const authz = req.headers.authorization;
  return typeof authz === 'string' && /^bearer\s+sk-/i.test(authz);
}

function hasBearer(req: FastifyRequest): boolean {
  const authz = req.headers.authorization;
  return typeof authz === 'string' && /^bearer\s+\S/i.test(authz);
}

/**
 * Any error on the LightRAG-compatible surface in LightRAG's shape: {"detail":
 * "<sentence>"} (422 lists for validation; the Ollama routes add "error" with
 * the same text, which is what Open WebUI reads). Authentication failures use
 * LightRAG's own sentences, which its WebUI keys on ("Invalid API Key" opens
 * its key dialog; 401 returns to its login page).
 */
export function toCompatError(err: unknown, req: FastifyRequest, settings: Settings, flavour: ErrorFlavour): CompatErrorResponse {
  let status: number;
  let detail: unknown;
  let headers: Record<string, string> = {};
  let internal = false;
  if (err instanceof LightragValidationError) {
    if (flavour === 'query-data') {
      return {
        status: 400,
        headers: {},
        internal: false,
        body: { status: 'failure', message: `Validation error: ${err.message}`, data: {}, metadata: {} },
      };
    }
    status = 422;
    detail = err.errors;
  } else if (err instanceof LightragHttpError) {
    status = err.status;
    detail = err.detail;
    headers = err.headers;
  } else {
    const res = toErrorResponse(err, String(req.id));
    status = res.status;
    headers = res.headers;
    internal = res.internal;
    detail = res.body.error.message;
    if (status === 401) {
      if (settings.lightragCompatWebuiAuth === 'apikey' && !hasApiKey(req)) {
        status = 403;
        detail = 'API Key required';
      } else if (hasApiKey(req)) {
        status = 403;
        detail = 'Invalid API Key';
      } else if (!hasBearer(req)) {
        detail = 'No credentials provided. Please login.';
      } else if (res.body.error.message === 'The bearer token is invalid or has expired.') {
        detail = 'Invalid token. Please login again.';
      }
    } else if (status === 404 && res.body.error.message === 'No route matches this method and path.') {
      detail = 'Not Found';
    } else if (status === 400 && (isJsonDecodeError(err) || /not valid JSON|JSON body/i.test(res.body.error.message))) {
      status = 422;
      detail = [
        {
          type: 'json_invalid',
          loc: ['body', 0],
          msg: 'JSON decode error',
          input: {},
          ctx: { error: err instanceof SyntaxError ? err.message.slice(0, 200) : res.body.error.message },
        },
      ];
    }
  }
  const body: Record<string, unknown> = { detail };
  if (flavour === 'ollama')
    body.error = typeof detail === 'string' ? detail : `Invalid request: ${err instanceof LightragValidationError ? err.message.slice(0, 500) : 'malformed JSON body'}`;
  return { status, headers, body, internal };
}

function isJsonDecodeError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return err instanceof SyntaxError || code === 'FST_ERR_CTP_INVALID_JSON_BODY' || code === 'FST_ERR_CTP_EMPTY_JSON_BODY';
}

export function sendCompatError(
  reply: FastifyReply,
  req: FastifyRequest,
  err: unknown,
  settings: Settings,
  flavour: ErrorFlavour,
  logger: { error: (...a: unknown[]) => void },
): void {
  const res = toCompatError(err, req, settings, flavour);
  if (res.internal) logger.error({ err, request_id: String(req.id), method: req.method, url: req.url }, 'unhandled error');
  if (reply.sent) return;
  reply.header('x-request-id', String(req.id));
  for (const [k, v] of Object.entries({ ...compatResponseHeaders(req), ...res.headers })) reply.header(k, v);
  reply.status(res.status).type('application/json; charset=utf-8').send(JSON.stringify(res.body));
}

/** The compat controllers' exception filter: LightRAG's error shapes instead of Strata's envelope. */
@Catch()
@Injectable()
export class LightragExceptionFilter implements ExceptionFilter {
  protected readonly flavour: ErrorFlavour = 'detail';
  private readonly logger = new Logger('LightRAG');
  constructor(private readonly config: AppConfig) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    sendCompatError(ctx.getResponse<FastifyReply>(), ctx.getRequest<FastifyRequest>(), exception, this.config.settings, this.flavour, this.logger);
  }
}

/** The Ollama emulation's errors: {"error", "detail"} (Open WebUI reads error, LightRAG clients detail). */
@Catch()
@Injectable()
export class OllamaExceptionFilter extends LightragExceptionFilter {
  protected override readonly flavour: ErrorFlavour = 'ollama';
}

/** POST /query/data answers validation errors with 400 {"status": "failure", "message": "Validation error: …"}, as LightRAG does. */
@Catch()
@Injectable()
export class QueryDataExceptionFilter extends LightragExceptionFilter {
  protected override readonly flavour: ErrorFlavour = 'query-data';
}

/** Whether a URL is under the compat prefix. */
export function isCompatUrl(settings: Settings, url: string): boolean {
  const p = settings.lightragCompatPrefix;
  return p !== null && (url === p || url.startsWith(`${p}/`) || url.startsWith(`${p}?`));
}

/**
 * For the handlers outside the compat controllers (Fastify's pre-routing errors,
 * Nest's "no route" 404): answers a compat URL in LightRAG's shape and returns
 * true, or returns false for every other URL.
 */
export function compatErrorHandler(settings: Settings): (reply: FastifyReply, req: FastifyRequest, err: unknown, logger: { error: (...a: unknown[]) => void }) => boolean {
  return (reply, req, err, logger) => {
    if (!isCompatUrl(settings, req.url)) return false;
    const path = req.url.slice(settings.lightragCompatPrefix!.length).split('?')[0];
    sendCompatError(reply, req, err, settings, /^(\/w\/[^/]+)?\/api\//.test(path) ? 'ollama' : 'detail', logger);
    return true;
  };
}
