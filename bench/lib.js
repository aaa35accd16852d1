'use strict';
/**
 * What the benchmarks share: boot the built app (dist/) in-process on a
 * random port with bench credentials and limits lifted, a JSON caller that
 * throws on non-2xx, and the admin's Authorization header.
 */
const path = require('node:path');
const { createApp } = require(path.join(__dirname, '..', 'dist', 'src', 'app.factory'));

const ADMIN_PASSWORD = 'bench-admin-password';

async function bootBenchApp(extraEnv = {}) {
  const env = {
    ...process.env,
    LOG_LEVEL: 'silent',
    ADMIN_PASSWORD,
    TOKEN_SECRET: 'bench-token-secret-that-is-at-least-32-chars',
    RATE_LIMIT_QUERIES_PER_MINUTE: '10000000',
    RATE_LIMIT_DOCUMENTS_PER_HOUR: '10000000',
    WORKER_POLL_MS: '20',
    ...(process.env.DATABASE_URL ? {} : { DATA_DIR: 'memory://' }),
    ...extraEnv,
  };
  const { app } = await createApp(env, { logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${app.getHttpServer().address().port}`;
  const call = async (method, p, body, auth = {}) => {
    const res = await fetch(base + p, { method, headers: { 'content-type': 'application/json', ...auth }, body: body ? JSON.stringify(body) : undefined });
    const json = await res.json();
    if (res.status >= 300) throw new Error(`${method} ${p} → ${res.status} ${JSON.stringify(json).slice(0, 300)}`);
    return json;
  };
  const login = await call('POST', '/api/v1/auth/login', { username: 'admin', password: ADMIN_PASSWORD });
  return { app, base, env, call, admin: { authorization: `Bearer ${login.data.access_token}` } };
}

module.exports = { bootBenchApp };
