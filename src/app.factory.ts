import multipart from '@fastify/multipart';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { sendError } from './common/all-exceptions.filter';
import { requestIdFor } from './common/request-id';
import { createValidationPipe } from './common/validation';
import { parseSettings, Settings } from './config/app-config';

export interface CreatedApp {
  app: NestFastifyApplication;
  settings: Settings;
}

/**
 * Builds the application without listening: main.ts and the e2e tests share it.
 * Settings are parsed first, so a bad variable stops here with its name.
 */
export async function createApp(env: Record<string, string | undefined> = process.env, opts: { logger?: boolean } = {}): Promise<CreatedApp> {
  const settings = parseSettings(env);
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
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(settings), adapter, {
    bufferLogs: true,
    logger: opts.logger === false ? false : undefined,
    abortOnError: false,
  });
  if (opts.logger !== false) app.useLogger(app.get(Logger));
  else app.useLogger(false);
  app.useGlobalPipes(createValidationPipe());

  const fastify = app.getHttpAdapter().getInstance();
  await app.register(multipart as never, { limits: { fileSize: settings.maxUploadBytes, files: 1, fields: 20 } });
  fastify.addHook('onSend', async (req, reply, payload) => {
    reply.header('x-request-id', String(req.id));
    return payload;
  });
  // Errors Fastify raises before Nest sees the request (malformed JSON, body too large, bad content type).
  fastify.setErrorHandler((err, req, reply) => sendError(reply, req, err, { error: (...a: unknown[]) => app.get(Logger).error(...(a as [unknown])) }));

  const doc = new DocumentBuilder()
    .setTitle('Strata')
    .setDescription(
      'Multi-tenant knowledge-graph RAG server. Every response uses the envelope {"status":"success","data":…} or ' +
        '{"status":"error","error":{"code","message","request_id"}}; see CONTRACT.md.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT or sk- API key' })
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api-key')
    .build();
  SwaggerModule.setup('docs', app, SwaggerModule.createDocument(app, doc), { jsonDocumentUrl: 'docs-json' });
  return { app, settings };
}
