import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { FastifyInstance } from 'fastify';
import { sendError } from '../common/all-exceptions.filter';
import { CONSOLE_CSP, registerConsole } from './console-assets';

function appFor(dir: string): FastifyInstance {
  const app = Fastify();
  app.setErrorHandler((err, req, reply) => sendError(reply, req, err, { error: () => undefined }));
  registerConsole(app, dir);
  return app;
}

describe('registerConsole', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'strata-console-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    writeFileSync(join(dir, '..', 'secret-beside-console.txt'), 'TOP-SECRET-CONTENT');
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(dir, '..', 'secret-beside-console.txt'), { force: true });
  });

  it('serves only the files of the build folder, with the CSP; client routes get index.html', async () => {
    const app = appFor(dir);
    const asset = await app.inject({ url: '/console/assets/index-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.body).toBe('console.log(1)');
    expect(asset.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(asset.headers['cache-control']).toContain('immutable');
    const route = await app.inject({ url: '/console/tenants/x/users' });
    expect(route.statusCode).toBe(200);
    expect(route.body).toContain('<title>console</title>');
    expect(route.headers['cache-control']).toBe('no-cache');
    for (const url of ['/console/../secret-beside-console.txt', '/console/..%2fsecret-beside-console.txt', '/console/assets/..%2f..%2fsecret-beside-console.txt']) {
      const r = await app.inject({ url });
      expect(r.body).not.toContain('TOP-SECRET-CONTENT');
      expect(r.statusCode).toBe(404);
    }
    await app.close();
  });

  it('answers 503 in the envelope when the console was not built (only tsc ran)', async () => {
    const app = appFor(join(dir, 'not-built'));
    const r = await app.inject({ url: '/console/' });
    expect(r.statusCode).toBe(503);
    expect(JSON.parse(r.body).error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('npm run build') });
    expect((await app.inject({ url: '/' })).headers.location).toBe('/console/');
    await app.close();
  });
});
