import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/app.factory';
import { RagInstanceFactory } from '../../src/rag/rag-instance.factory';
import { freshDatabase, TestDatabase } from '../support/test-db';
import { ADMIN_PASSWORD, seedTenant, startTestApp, TOKEN_SECRET } from '../support/test-app';
import { kbPath } from '../support/rag';

/** A database that outlives one app: a PGlite directory, or a database on TEST_DATABASE_URL. */
async function durableDatabase(): Promise<TestDatabase> {
  if (process.env.TEST_DATABASE_URL) return freshDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'strata-dim-'));
  return { env: { DATA_DIR: dir }, url: null, drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

describe('RAG configuration: embedding width and instance invalidation', () => {
  it('refuses to start when EMBEDDING_DIM differs from the width the schema was created with, naming the variable', async () => {
    const database = await durableDatabase();
    try {
      const first = await startTestApp({ database });
      await first.close();
      const env = { ...database.env, ADMIN_PASSWORD, TOKEN_SECRET, LOG_LEVEL: 'silent', EMBEDDING_DIM: '512' };
      // Module initialisation runs when the app starts (main.ts: listen), and stops it there.
      const { app } = await createApp(env, { logger: false });
      await expect(app.init()).rejects.toThrow(/EMBEDDING_DIM is 512 but this database stores 1024-dimensional vectors/);
      await app.close().catch(() => undefined);
    } finally {
      await database.drop();
    }
  });

  it('a KB config change invalidates its cached instance; the next query uses the new config', async () => {
    const t = await startTestApp();
    try {
      const A = await seedTenant(t, 'Config tenant');
      const factory = t.app.get(RagInstanceFactory);
      const base = kbPath(A.tenantId, A.kbIds[0]);
      expect((await t.http.post(`${base}/query`, { query: 'anything', mode: 'naive', only_need_context: true }, A.key)).status).toBe(200);
      const before = await factory.get(A.tenantId, A.kbIds[0]);
      expect(before.config.chunkTopK).toBe(20);
      const patch = await t.http.patch(`/api/v1/tenants/${A.tenantId}/knowledge-bases/${A.kbIds[0]}`, { config: { chunk_top_k: 3, default_mode: 'naive' } }, t.admin);
      expect(patch.status).toBe(200);
      await new Promise((r) => setTimeout(r, 50));
      expect(before.isFinalized).toBe(true);
      const after = await factory.get(A.tenantId, A.kbIds[0]);
      expect(after).not.toBe(before);
      expect(after.config).toMatchObject({ chunkTopK: 3, defaultMode: 'naive' });
      const q = await t.http.post(`${base}/query`, { query: 'anything', only_need_context: true }, A.key);
      expect(q.body.data.mode).toBe('naive');

      const del = await t.http.delete(`/api/v1/tenants/${A.tenantId}/knowledge-bases/${A.kbIds[0]}`, t.admin);
      expect(del.status).toBe(200);
      await new Promise((r) => setTimeout(r, 50));
      expect(after.isFinalized).toBe(true);
      expect((await t.http.post(`${base}/query`, { query: 'anything', mode: 'naive' }, A.key)).status).toBe(404);
    } finally {
      await t.close();
    }
  });
});
