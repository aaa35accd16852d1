import { HttpException } from '@nestjs/common';
import { AppException, ErrorCode, FieldError, STATUS_OF_CODE } from './app-exception';

export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: {
    status: 'error';
    error: { code: string; message: string; request_id: string; details?: FieldError[] };
  };
}

const HTTP_STATUS_CODE: Record<number, ErrorCode> = {
  400: 'VALIDATION_ERROR',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'UNAVAILABLE',
};

/** Messages we can show for errors raised by Fastify itself, before Nest sees the request. */
const FASTIFY_CODES: Record<string, { code: ErrorCode; message: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'VALIDATION_ERROR', message: 'The request body is not valid JSON.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'VALIDATION_ERROR', message: 'The request body is empty but Content-Type is application/json.' },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'PAYLOAD_TOO_LARGE', message: 'The request body is larger than this server accepts.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'This Content-Type is not accepted here.' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'VALIDATION_ERROR', message: 'Content-Length does not match the body.' },
  FST_REQ_FILE_TOO_LARGE: { code: 'PAYLOAD_TOO_LARGE', message: 'The uploaded file is larger than this server accepts.' },
  FST_FILES_LIMIT: { code: 'VALIDATION_ERROR', message: 'Upload one file per request.' },
  FST_INVALID_MULTIPART_CONTENT_TYPE: { code: 'VALIDATION_ERROR', message: 'Expected a multipart/form-data body.' },
  FST_ERR_BAD_URL: { code: 'VALIDATION_ERROR', message: 'The request URL is malformed (a %-escape is not valid UTF-8).' },
  FST_ERR_MAX_PARAM_LENGTH: { code: 'URI_TOO_LONG', message: 'A path segment of the URL is longer than this server accepts (500 characters).' },
};

const STORAGE_FULL = 'The server has no storage space left; nothing of this request was stored. Try again once an operator has freed space.';

/** A file write refused for lack of space (the embedded database or DATA_DIR on a full disk, or over quota). */
function isStorageFull(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** PostgreSQL SQLSTATE codes that are the client's fault or a dependency outage, not a bug. */
function fromPostgres(err: { code?: string }): { code: ErrorCode; message: string } | null {
  const sqlstate = err.code;
  if (!sqlstate || typeof sqlstate !== 'string') return null;
  if (sqlstate === '23505') return { code: 'CONFLICT', message: 'A resource with the same unique value already exists.' };
  if (sqlstate === '22P02' || sqlstate === '22007' || sqlstate === '22008' || sqlstate === '22003')
    return { code: 'VALIDATION_ERROR', message: 'A value in the request has the wrong format.' };
  // A row this request refers to is gone (deleted concurrently, or never existed).
  if (sqlstate === '23503') return { code: 'NOT_FOUND', message: 'A resource this request refers to does not exist.' };
  if (sqlstate === '22001') return { code: 'VALIDATION_ERROR', message: 'A value in the request is too long.' };
  // NUL bytes and invalid byte sequences: PostgreSQL text cannot hold them.
  if (sqlstate === '22021' || sqlstate === '22P05') return { code: 'VALIDATION_ERROR', message: 'A value in the request contains characters that cannot be stored (such as NUL).' };
  // disk_full (53100): PostgreSQL could not extend a file; the transaction rolled back, so nothing was stored.
  if (sqlstate === '53100') return { code: 'INSUFFICIENT_STORAGE', message: STORAGE_FULL };
  // 08: connection exceptions; 57P01-57P03: the server is shutting down, crashed or starting up; 53300: too many connections.
  if (sqlstate.startsWith('08') || sqlstate === '57P01' || sqlstate === '57P02' || sqlstate === '57P03' || sqlstate === '53300')
    return { code: 'UNAVAILABLE', message: 'The database is unavailable; try again shortly.' };
  return null;
}

/** Node's "aborted": the client stopped sending before Content-Length bytes arrived (Fastify marks it 400). */
function isAbortedBody(err: unknown): boolean {
  const e = err as { code?: string; message?: string; statusCode?: number };
  return e?.code === 'ECONNRESET' && e.message === 'aborted' && e.statusCode === 400;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/**
 * node-postgres and pg-pool raise these without a code: a connection cut
 * mid-query, no connection within DATABASE_CONNECT_TIMEOUT_MS ("timeout
 * exceeded when trying to connect"), a client whose connection already broke.
 */
const CONNECTION_MESSAGES = /Connection terminated|connection timeout|timeout exceeded when trying to connect|not queryable|Driver not Connected|PGlite is closed/i;

function isConnectionFailure(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  const msg = (err as Error)?.message ?? '';
  return (typeof code === 'string' && NETWORK_CODES.has(code)) || CONNECTION_MESSAGES.test(msg);
}

/**
 * True when `err` says the database cannot be reached right now (server down,
 * restarting, refusing connections, no connection within the timeout) — a
 * dependency outage to answer with 503 UNAVAILABLE and to retry later, never
 * a fault of the request or of the code. Background loops use it to tell an
 * outage (log it once, keep the work, retry) from a bug.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!err || typeof err !== 'object' || isAbortedBody(err)) return false;
  const driverError = (err as { driverError?: { code?: string } }).driverError;
  for (const e of [driverError, err as { code?: string }]) if (e && fromPostgres(e)?.code === 'UNAVAILABLE') return true;
  return isConnectionFailure(err) || (driverError !== undefined && isConnectionFailure(driverError));
}

/**
 * The one place that turns any thrown value into the contract's error envelope.
 * Unknown errors become INTERNAL_ERROR with a generic sentence: the stack and
 * SQL go to the log, never to the client. `internal` tells the caller to log it.
 */
export function toErrorResponse(err: unknown, requestId: string): ErrorResponse & { internal: boolean } {
  let code: ErrorCode = 'INTERNAL_ERROR';
  let message = 'An unexpected error occurred; it has been logged.';
  let details: FieldError[] | undefined;
  let headers: Record<string, string> = {};
  let internal = false;

  if (err instanceof AppException) {
    code = err.code;
    message = err.message;
    details = err.details;
    headers = err.headers ?? {};
  } else if (err instanceof HttpException) {
    const status = err.getStatus();
    code = HTTP_STATUS_CODE[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'VALIDATION_ERROR');
    const resp = err.getResponse();
    if (status === 404) message = 'No route matches this method and path.';
    else if (status === 429) message = 'Too many requests; slow down and retry after the delay in Retry-After.';
    else if (typeof resp === 'string') message = resp;
    else if (resp && typeof (resp as { message?: unknown }).message === 'string') message = (resp as { message: string }).message;
    else message = err.message;
    if (status >= 500) internal = true;
  } else if (err && typeof err === 'object' && typeof (err as { code?: unknown }).code === 'string' && FASTIFY_CODES[(err as { code: string }).code]) {
    ({ code, message } = FASTIFY_CODES[(err as { code: string }).code]);
  } else if (err && typeof err === 'object' && (fromPostgres((err as { driverError?: { code?: string } }).driverError ?? {}) || fromPostgres(err as { code?: string }))) {
    ({ code, message } = (fromPostgres((err as { driverError?: { code?: string } }).driverError ?? {}) ?? fromPostgres(err as { code?: string }))!);
  } else if (isAbortedBody(err)) {
    code = 'VALIDATION_ERROR';
    message = 'The request body ended before the length given in Content-Length.';
  } else if (isStorageFull(err)) {
    code = 'INSUFFICIENT_STORAGE';
    message = STORAGE_FULL;
  } else if (isConnectionFailure(err)) {
    code = 'UNAVAILABLE';
    message = 'The database is unavailable; try again shortly.';
  } else if (err && typeof err === 'object' && typeof (err as { statusCode?: unknown }).statusCode === 'number') {
    // Other Fastify/plugin errors with a client status (e.g. a malformed header).
    const status = (err as { statusCode: number }).statusCode;
    if (status >= 400 && status < 500) {
      code = HTTP_STATUS_CODE[status] ?? 'VALIDATION_ERROR';
      message = 'The request could not be processed as sent.';
    } else internal = true;
  } else {
    internal = true;
  }
  // A full disk is the operator's to fix: logged like an internal error (the client gets 507 and the reason).
  if (code === 'INTERNAL_ERROR' || code === 'INSUFFICIENT_STORAGE') internal = true;
  const body: ErrorResponse['body'] = { status: 'error', error: { code, message, request_id: requestId } };
  if (details && details.length) body.error.details = details;
  return { status: STATUS_OF_CODE[code], headers, body, internal };
}
