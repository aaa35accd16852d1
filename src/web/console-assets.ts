import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppException } from '../common/app-exception';

/**
 * The web console (console/, built by `npm run build` into dist/console) served at /console/.
 *
 * Only the files found in the build folder at start-up are served, looked up by
 * exact relative path in a map: a request can never name a file outside it
 * (`..`, encoded slashes and the like simply match no entry). Any other path
 * under /console/ without a file extension is a client-side route and gets
 * index.html; a missing file with an extension is a 404. Every answer carries
 * the console's Content-Security-Policy (no inline script, nothing from other
 * origins, no framing). Hashed files under assets/ are cached for a year,
 * index.html is revalidated on every load.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
  json: 'application/json; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
  woff2: 'font/woff2',
};

/** dist/console beside the compiled server (dist/src/web → dist/console), or under dist/ when run from the TypeScript sources (tests). */
export function defaultConsoleDir(): string {
  const fromDist = join(__dirname, '..', '..', 'console');
  return __dirname.split(sep).includes('dist') ? fromDist : join(__dirname, '..', '..', 'dist', 'console');
}

function listFiles(root: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      const st = statSync(full);
      if (st.isDirectory()) walk(full);
      else if (st.isFile()) files.set(relative(root, full).split(sep).join('/'), full);
    }
  };
  if (existsSync(root)) walk(root);
  return files;
}

function securityHeaders(reply: FastifyReply): void {
  reply.header('content-security-policy', CONSOLE_CSP);
  reply.header('x-content-type-options', 'nosniff');
  reply.header('x-frame-options', 'DENY');
  reply.header('referrer-policy', 'no-referrer');
}

export function registerConsole(fastify: FastifyInstance, dir: string = defaultConsoleDir()): void {
  const files = listFiles(dir);
  const built = files.has('index.html');

  const send = async (reply: FastifyReply, path: string) => {
    const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
    securityHeaders(reply);
    reply.header('cache-control', path.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    reply.type(TYPES[ext] ?? 'application/octet-stream');
    return reply.send(await readFile(files.get(path)!));
  };

  const serve = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!built) throw new AppException('UNAVAILABLE', 'The web console is not built on this server: run `npm run build` (it builds the server and the console).');
    const path = (req.params as { '*'?: string })['*'] ?? '';
    if (files.has(path)) return send(reply, path);
    const last = path.slice(path.lastIndexOf('/') + 1);
    if (path.startsWith('assets/') || last.includes('.')) throw AppException.notFound('This console file');
    return send(reply, 'index.html');
  };

  fastify.get('/', (_req, reply) => reply.redirect('/console/', 302));
  fastify.get('/console', (_req, reply) => reply.redirect('/console/', 301));
  fastify.get('/console/*', serve);
}
