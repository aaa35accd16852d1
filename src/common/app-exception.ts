/**
 * Domain errors carry a contract code (README, API overview); the filter maps them to
 * HTTP and the envelope. Services throw these, never HttpException directly.
 */
export type ErrorCode =
  | 'VALIDATION_ERROR'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'TENANT_SUSPENDED'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'URI_TOO_LONG'
  | 'HEADERS_TOO_LARGE'
  | 'REQUEST_TIMEOUT'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'RATE_LIMITED'
  | 'QUOTA_EXCEEDED'
  | 'UPSTREAM_ERROR'
  | 'UPSTREAM_TIMEOUT'
  | 'UNAVAILABLE'
  | 'INSUFFICIENT_STORAGE'
  | 'INTERNAL_ERROR';

export const STATUS_OF_CODE: Record<ErrorCode, number> = {
  VALIDATION_ERROR: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  TENANT_SUSPENDED: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  URI_TOO_LONG: 414,
  HEADERS_TOO_LARGE: 431,
  REQUEST_TIMEOUT: 408,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  QUOTA_EXCEEDED: 429,
  UPSTREAM_ERROR: 502,
  UPSTREAM_TIMEOUT: 504,
  UNAVAILABLE: 503,
  /** The database (or DATA_DIR) has no space left: nothing of the request was stored. */
  INSUFFICIENT_STORAGE: 507,
  INTERNAL_ERROR: 500,
};

export interface FieldError {
  field: string;
  message: string;
}

export class AppException extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'AppException';
  }

  get status(): number {
    return STATUS_OF_CODE[this.code];
  }

  static validation(message: string, details?: FieldError[]): AppException {
    return new AppException('VALIDATION_ERROR', message, details);
  }
  static unauthenticated(message = 'Missing or invalid credentials.'): AppException {
    return new AppException('UNAUTHENTICATED', message);
  }
  static forbidden(message = 'You do not have access to this resource.'): AppException {
    return new AppException('FORBIDDEN', message);
  }
  static notFound(what: string): AppException {
    return new AppException('NOT_FOUND', `${what} was not found.`);
  }
  static conflict(message: string): AppException {
    return new AppException('CONFLICT', message);
  }
}
