import { DynamicModule, Module, RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import pino from 'pino';
import type { Settings } from '../config/app-config';

/** Paths pino must never print: credentials in headers and bodies. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  '*.password',
  '*.api_key',
  '*.key',
  '*.access_token',
  '*.llm_api_key',
];

/** Structured JSON logs (pino); every line of a request carries its request_id (and tenant/KB once known). */
@Module({})
export class LoggingModule {
  static forRoot(settings: Settings): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            level: settings.logLevel,
            // Asynchronous writes to stdout: a line per request no longer costs a write() on the request path (under
            // load, lines queued while one write is under way go out together); each line still leaves at once when
            // idle, and what is queued is flushed when the process exits (pino's exit handlers). Issue 14: +0.4–0.5 ms
            // of CPU per request at LOG_LEVEL=info with synchronous writes.
            stream: pino.destination({ dest: 1, sync: false, minLength: 0 }),
            genReqId: (req) => String((req as { id?: string }).id),
            // Every line logged during a request (its own and the services') carries request_id.
            customProps: (req) => ({ request_id: String((req as { id?: string }).id) }),
            redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
            serializers: {
              req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url }),
              res: (res: { statusCode: number }) => ({ status: res.statusCode }),
            },
            customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
            quietReqLogger: false,
          },
          // The package default ('{/*splat}') does not match under Nest 12 + Fastify; this does.
          forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
          assignResponse: true,
        }),
      ],
    };
  }
}
