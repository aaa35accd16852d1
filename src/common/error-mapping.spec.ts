import { AppException } from './app-exception';
import { isDatabaseUnavailable, toErrorResponse } from './error-mapping';

describe('toErrorResponse', () => {
  it('keeps an AppException code, message and headers', () => {
    const r = toErrorResponse(new AppException('QUOTA_EXCEEDED', 'Too many.', undefined, { 'Retry-After': '60' }), 'req-1');
    expect(r).toMatchObject({ status: 429, headers: { 'Retry-After': '60' }, internal: false });
    expect(r.body).toEqual({ status: 'error', error: { code: 'QUOTA_EXCEEDED', message: 'Too many.', request_id: 'req-1' } });
  });

  it.each([
    ['23505', 409, 'CONFLICT'],
    ['22P02', 400, 'VALIDATION_ERROR'],
    ['22021', 400, 'VALIDATION_ERROR'],
    ['22001', 400, 'VALIDATION_ERROR'],
    ['57P01', 503, 'UNAVAILABLE'],
    ['57P02', 503, 'UNAVAILABLE'],
    ['57P03', 503, 'UNAVAILABLE'],
    ['53100', 507, 'INSUFFICIENT_STORAGE'],
  ])('maps SQLSTATE %s (as TypeORM wraps it) to %i %s without SQL text', (sqlstate, status, code) => {
    const err = Object.assign(new Error('insert into secret_table values (...)'), { driverError: { code: sqlstate } });
    const r = toErrorResponse(err, 'req-2');
    expect(r.status).toBe(status);
    expect(r.body.error.code).toBe(code);
    expect(JSON.stringify(r.body)).not.toMatch(/secret_table/);
  });

  it('turns an unknown error into a logged 500 with a generic sentence', () => {
    const r = toErrorResponse(new TypeError('x is undefined at foo.js:12'), 'req-3');
    expect(r).toMatchObject({ status: 500, internal: true });
    expect(r.body.error.message).not.toMatch(/foo\.js/);
  });

  it('maps Fastify body errors', () => {
    expect(toErrorResponse({ code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }, 'r').status).toBe(413);
    expect(toErrorResponse({ code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 }, 'r').body.error.code).toBe('VALIDATION_ERROR');
  });

  it('maps a path segment over maxParamLength to 414 and a body cut short of Content-Length to 400, not 503', () => {
    expect(toErrorResponse({ code: 'FST_ERR_MAX_PARAM_LENGTH', statusCode: 414 }, 'r')).toMatchObject({ status: 414, internal: false });
    const aborted = Object.assign(new Error('aborted'), { code: 'ECONNRESET', statusCode: 400 });
    expect(toErrorResponse(aborted, 'r')).toMatchObject({ status: 400, internal: false, body: { error: { code: 'VALIDATION_ERROR' } } });
  });

  it('treats a refused connection as 503 UNAVAILABLE', () => {
    expect(toErrorResponse(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'r').status).toBe(503);
  });

  it.each([
    ['pg-pool: no connection within DATABASE_CONNECT_TIMEOUT_MS', new Error('timeout exceeded when trying to connect')],
    [
      'a connection cut mid-query (TypeORM QueryFailedError)',
      Object.assign(new Error('Connection terminated unexpectedly'), { driverError: new Error('Connection terminated unexpectedly') }),
    ],
    ['a client whose connection already broke', new Error('Client has encountered a connection error and is not queryable')],
    ['a host that is not resolvable', Object.assign(new Error('getaddrinfo ENOTFOUND db'), { code: 'ENOTFOUND' })],
  ])('treats %s as 503 UNAVAILABLE (a database outage, not a bug)', (_name, err) => {
    expect(toErrorResponse(err, 'r')).toMatchObject({ status: 503, internal: false, body: { error: { code: 'UNAVAILABLE' } } });
    expect(isDatabaseUnavailable(err)).toBe(true);
  });
  it('a full disk (SQLSTATE 53100, ENOSPC, EDQUOT) is a logged 507 INSUFFICIENT_STORAGE saying nothing was stored, without the file path', () => {
    for (const err of [
      Object.assign(new Error('could not extend file "base/1/2": No space left on device'), { driverError: { code: '53100' } }),
      Object.assign(new Error("ENOSPC: no space left on device, write '/data/x'"), { code: 'ENOSPC' }),
      Object.assign(new Error('EDQUOT: disk quota exceeded'), { code: 'EDQUOT' }),
    ]) {
      const r = toErrorResponse(err, 'r');
      expect(r).toMatchObject({ status: 507, internal: true, body: { error: { code: 'INSUFFICIENT_STORAGE' } } });
      expect(r.body.error.message).toMatch(/nothing of this request was stored/);
      expect(JSON.stringify(r.body)).not.toMatch(/base\/1|\/data\/x/);
    }
  });
});

describe('isDatabaseUnavailable', () => {
  it('is false for a refused row, a bug, a body cut short and a non-object', () => {
    expect(isDatabaseUnavailable(Object.assign(new Error('duplicate key'), { driverError: { code: '23505' } }))).toBe(false);
    expect(isDatabaseUnavailable(new TypeError('x is undefined'))).toBe(false);
    expect(isDatabaseUnavailable(Object.assign(new Error('aborted'), { code: 'ECONNRESET', statusCode: 400 }))).toBe(false);
    expect(isDatabaseUnavailable('ECONNREFUSED')).toBe(false);
  });

  it('is true for SQLSTATE 57P01 (admin shutdown) on the error or its driverError, and for a refused connection', () => {
    expect(isDatabaseUnavailable({ code: '57P01' })).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('terminating connection'), { driverError: { code: '57P01' } }))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe(true);
  });
});
