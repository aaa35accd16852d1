import multipart from '@fastify/multipart';
import { NestFactory } from '@nestjs/core';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { sendError } from './common/all-exceptions.filter';
import { AppException } from './common/app-exception';
import { answerClientError } from './common/client-error';
import { jsonNestingExceeds, MAX_JSON_DEPTH } from './common/json-depth';
import { requestIdFor } from './common/request-id';
import { createValidationPipe } from './common/validation';
import { parseSettings, Settings } from './config/app-config';
import { assertDataDirWritable } from './config/data-dir';
import { compatErrorHandler } from './compat/lightrag/api/lightrag-errors';
import { registerConsole } from './web/console-assets';

export interface CreatedApp {
  app: NestFastifyApplication;
  settings: Settings;
}

/**
 * Builds the application without listening: main.ts and the e2e tests share it.
 * Settings are parsed first, so a bad variable stops here with its name.
 */
export async function createApp(
  env: Record<string, string | undefined> = process.env,
  opts: { logger?: boolean; /** the built console's folder (tests); default dist/console */ consoleDir?: string } = {},
): Promise<CreatedApp> {
  const settings = parseSettings(env);
  // An unwritable or full DATA_DIR stops here with its path and reason, before the embedded database opens.
  assertDataDirWritable(settings);
  let logError: (...a: unknown[]) => void = () => undefined;
  const compatError = compatErrorHandler(settings);
  const logger = { error: (...a: unknown[]) => logError(...a) };
  const answerError = (reply: FastifyReply, req: FastifyRequest, err: unknown) => compatError(reply, req, err, logger) || sendError(reply, req, err, logger);
  const adapter = new FastifyAdapter({
    bodyLimit: settings.maxUploadBytes,
    genReqId: (req: import('node:http').IncomingMessage) => {
      const id = requestIdFor(req);
      (req as unknown as { id: string }).id = id;
      return id;
    },
    requestIdHeader: false,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    logger: false,
    // Nest installs its own handler first; ours replaces it on purpose (envelope for pre-routing errors).
    allowErrorHandlerOverride: true,
    routerOptions: { maxParamLength: 500 },
    // Errors raised before routing (a bad %-escape, a path segment over maxParamLength) answer in the envelope too…
    frameworkErrors: (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => answerError(reply, req, err),
    // …and so do requests Node's HTTP parser refuses (Content-Length mismatch, bad request line, huge headers).
    clientErrorHandler: answerClientError,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(settings), adapter, {
    bufferLogs: true,
    logger: opts.logger === false ? false : undefined,
    abortOnError: false,
  });
  if (opts.logger !== false) app.useLogger(app.get(Logger));
  else app.useLogger(false);
  logError = (...a) => app.get(Logger).error(...(a as [unknown]));
  // Every public API route lives under /api/v1; probes, the scrape endpoint and the LightRAG-compatible API stay at the root.
  const compat = settings.lightragCompatPrefix?.slice(1);
  app.setGlobalPrefix('api/v1', { exclude: ['health', 'health/ready', 'metrics', ...(compat ? [compat, `${compat}/{*splat}`] : [])] });
  app.useGlobalPipes(createValidationPipe());
  // CORS for the LightRAG-compatible API only (a LightRAG WebUI served from another origin); the native API sends none.
  const corsOrigins = settings.lightragCompatCorsOrigins;
  if (compat && corsOrigins) {
    app.enableCors({
      delegator: (req, cb) =>
        cb(
          null,
          req.url?.startsWith(`/${compat}/`)
            ? { origin: corsOrigins === '*' ? true : corsOrigins, exposedHeaders: ['X-Request-Id', 'X-Strata-Kb-Id', 'X-New-Token', 'Retry-After'], maxAge: 600 }
            : { origin: false },
        ),
    });
  }

  const fastify = app.getHttpAdapter().getInstance();
  // JSON bodies: nesting is measured in one linear pass before JSON.parse, so a 10 000-deep body is a 400, not a
  // stack overflow in class-transformer; the rest is Fastify's own parser (prototype poisoning refused).
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser('application/json', { bodyLimit: settings.maxUploadBytes }, (req, body, done) => {
    if (jsonNestingExceeds(body)) return done(AppException.validation(`The JSON body is nested too deeply (more than ${MAX_JSON_DEPTH} levels).`), undefined);
    return parseJson(req as never, body as never, done);
  });
  // LightRAG's POST /login is an OAuth2 password form; no other route takes form bodies.
  app.useBodyParser('application/x-www-form-urlencoded', { bodyLimit: 64 * 1024 }, (req, body, done) => {
    const url = (req as unknown as { url: string }).url;
    if (!compat || !url.startsWith(`/${compat}/`) || !/\/login(\?|$)/.test(url))
      return done(new AppException('UNSUPPORTED_MEDIA_TYPE', 'Form bodies are accepted only by the LightRAG-compatible login.'), undefined);
    return done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });
  await app.register(multipart as never, { limits: { fileSize: settings.maxUploadBytes, files: 1, fields: 20 } });
  fastify.addHook('onSend', async (req, reply, payload) => {
    reply.header('x-request-id', String(req.id));
    return payload;
  });
  // The web console's static files at /console/ (and / redirects there); see src/web/console-assets.ts.
  registerConsole(fastify, opts.consoleDir);
  // Errors Fastify raises before Nest sees the request (malformed JSON, body too large, bad content type).
  fastify.setErrorHandler((err, req, reply) => answerError(reply, req, err));

  const doc = new DocumentBuilder()
    .setTitle('Strata')
    .setDescription(
      'Multi-tenant knowledge-graph RAG server. Every response uses the envelope {"status":"success","data":…} or ' +
        '{"status":"error","error":{"code","message","request_id"}}; see the README (API overview).',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT or sk- API key' })
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api-key')
    .build();
  SwaggerModule.setup('docs', app, SwaggerModule.createDocument(app, doc), { jsonDocumentUrl: 'docs-json' });
  return { app, settings };
}
