import 'reflect-metadata';
import { createApp } from './app.factory';
import { ConfigError } from './config/app-config';

async function bootstrap(): Promise<void> {
  const { app, settings } = await createApp();
  await app.listen({ port: settings.port, host: settings.host });
}

bootstrap().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`strata: ${err.message}\n`);
  } else {
    process.stderr.write(`strata: failed to start: ${(err as Error)?.stack ?? String(err)}\n`);
  }
  process.exit(1);
});
