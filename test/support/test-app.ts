import { PERMISSIONS } from '../../src/context/permissions';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.factory';
import { DatabaseService } from '../../src/database/database.service';
import { freshDatabase, TestDatabase } from './test-db';
import { Credentials, Http } from './http';

export const ADMIN_PASSWORD = 'test-admin-password';
export const TOKEN_SECRET = 'test-token-secret-that-is-at-least-32-chars';
/** /metrics needs a token unless METRICS_PUBLIC=true: the test apps set this one (send it as `{ token: METRICS_TOKEN }`). */
export const METRICS_TOKEN = 'test-metrics-token-0123456789';

export interface TestApp {
  app: NestFastifyApplication;
  http: Http;
  url: string;
  db: DatabaseService;
  database: TestDatabase;
  admin: Credentials;
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * Boots the real application (real database, real HTTP on a random port) for
 * one test file. `env` overrides settings; `database` reuses one (restarts).
 */
export async function startTestApp(opts: { env?: Record<string, string>; database?: TestDatabase } = {}): Promise<TestApp> {
  const database = opts.database ?? (await freshDatabase());
  const env: Record<string, string> = {
    ADMIN_USERNAME: 'admin',
    ADMIN_PASSWORD,
    TOKEN_SECRET,
    METRICS_TOKEN,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    WORKER_POLL_MS: '50',
    ...database.env,
    ...(opts.env ?? {}),
  };
  const { app } = await createApp(env, { logger: false });
  try {
    await app.listen({ port: 0, host: '127.0.0.1' });
  } catch (err) {
    // What started before the failure (connections, timers) must not outlive this test file.
    await app.close().catch(() => undefined);
    throw err;
  }
  const address = app.getHttpServer().address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const http = new Http(url);
  const login = await http.post('/api/v1/auth/login', { username: env.ADMIN_USERNAME, password: env.ADMIN_PASSWORD });
  if (login.status !== 200) throw new Error(`admin login failed: ${login.status} ${login.text}`);
  return {
    app,
    http,
    url,
    db: app.get(DatabaseService),
    database,
    admin: { token: login.body.data.access_token },
    env,
    close: async () => {
      await app.close();
      if (!opts.database) await database.drop();
    },
  };
}

/** Creates a tenant, a KB and an all-powerful key for it: the usual starting point of a test. */
export async function seedTenant(t: TestApp, name: string, kbNames: string[] = ['main']) {
  const tenant = await t.http.post('/api/v1/tenants', { tenant_name: name }, t.admin);
  if (tenant.status !== 201) throw new Error(`tenant create failed: ${tenant.status} ${tenant.text}`);
  const tenantId: string = tenant.body.data.tenant_id;
  const kbIds: string[] = [];
  for (const kb of kbNames) {
    const r = await t.http.post(`/api/v1/tenants/${tenantId}/knowledge-bases`, { kb_name: kb }, t.admin);
    if (r.status !== 201) throw new Error(`kb create failed: ${r.status} ${r.text}`);
    kbIds.push(r.body.data.kb_id);
  }
  const key = await createKey(t, tenantId, ['*'], ALL_PERMISSIONS);
  return { tenantId, kbIds, key };
}

export async function createKey(t: TestApp, tenantId: string, kbIds: string[], permissions: string[], as: Credentials = t.admin): Promise<Credentials & { keyId: string }> {
  const r = await t.http.post(`/api/v1/tenants/${tenantId}/api-keys`, { key_name: `key-${Date.now()}`, knowledge_base_ids: kbIds, permissions }, as);
  if (r.status !== 201) throw new Error(`key create failed: ${r.status} ${r.text}`);
  return { key: r.body.data.key, keyId: r.body.data.key_id };
}

/** Every permission name, from the one list the server uses. */
export const ALL_PERMISSIONS: string[] = [...PERMISSIONS];
