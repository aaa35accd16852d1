import 'reflect-metadata';
import { Logger } from 'nestjs-pino';
import { createApp } from './app.factory';
import { applyHeapGrowth } from './common/heap-growth';
import { ConfigError } from './config/app-config';
import { DataDirError } from './config/data-dir';

async function bootstrap(): Promise<void> {
  const { app, settings } = await createApp();
  applyHeapGrowth(settings.heapGrowthPercent);
  await app.listen({ port: settings.port, host: settings.host });

  // Graceful shutdown: stop accepting, let in-flight requests and jobs finish
  // (app.close runs the shutdown hooks: workers stop claiming, buffers flush,
  // the database closes), then exit 0. A stuck close is cut off after
  // SHUTDOWN_TIMEOUT_MS.
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.get(Logger).log(`${signal} received: shutting down`);
    const force = setTimeout(() => {
      process.stderr.write('strata: shutdown timed out, exiting\n');
      process.exit(1);
    }, settings.shutdownTimeoutMs);
    force.unref();
    app
      .close()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        process.stderr.write(`strata: error during shutdown: ${(err as Error).message}\n`);
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

bootstrap().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof DataDirError) {
    process.stderr.write(`strata: ${err.message}\n`);
  } else {
    process.stderr.write(`strata: failed to start: ${(err as Error)?.stack ?? String(err)}\n`);
  }
  process.exit(1);
});
