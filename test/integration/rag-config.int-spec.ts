import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/app.factory';
import { RagInstanceFactory } from '../../src/rag/rag-instance.factory';
import { freshDatabase, TestDatabase } from '../support/test-db';
import { ADMIN_PASSWORD, seedTenant, startTestApp, TOKEN_SECRET } from '../support/test-app';
import { addTextAndWait, kbPath } from '../support/rag';
import { ModelProviders } from '../../src/rag/providers/model-providers';

/** A database that outlives one app: a PGlite directory, or a database on TEST_DATABASE_URL. */
async function durableDatabase(): Promise<TestDatabase> {
  if (process.env.TEST_DATABASE_URL) return freshDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'strata-dim-'));
  return { env: { DATA_DIR: dir }, url: null, drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

describe('RAG configuration: embedding width and instance invalidation', () => {
  /** Runs `work` with process.env.EMBEDDING_DIM set (the schema migration reads the width from the process environment). */
  async function withProcessDim<T>(dim: string | undefined, work: () => Promise<T>): Promise<T> {
    const saved = process.env.EMBEDDING_DIM;
    if (dim === undefined) delete process.env.EMBEDDING_DIM;
    else process.env.EMBEDDING_DIM = dim;
    try {
      return await work();
    } finally {
      if (saved === undefined) delete process.env.EMBEDDING_DIM;
      else process.env.EMBEDDING_DIM = saved;
    }
  }

  it('refuses to start when an explicit EMBEDDING_DIM differs from the width the schema was created with, naming the variable', async () => {
    const database = await durableDatabase();
    try {
      const first = await withProcessDim('48', () => startTestApp({ database, env: { EMBEDDING_DIM: '48' } }));
      await first.close();
      const env = { ...database.env, ADMIN_PASSWORD, TOKEN_SECRET, LOG_LEVEL: 'silent', EMBEDDING_DIM: '64' };
      // Module initialisation runs when the app starts (main.ts: listen), and stops it there.
      const { app } = await withProcessDim('64', () => createApp(env, { logger: false }));
      await expect(app.init()).rejects.toThrow(/EMBEDDING_DIM is 64 but this database stores 48-dimensional vectors/);
      await app.close().catch(() => undefined);
    } finally {
      await database.drop();
    }
  });

  it('an unset EMBEDDING_DIM follows the width an existing database stores (an upgrade that changes the default breaks nothing)', async () => {
    const database = await durableDatabase();
    try {
      // A database created at a width that is not the default, as one created under an older default is.
      const first = await withProcessDim('48', () => startTestApp({ database, env: { EMBEDDING_DIM: '48' } }));
      const A = await seedTenant(first, 'Width tenant');
      await addTextAndWait(first.http, A.tenantId, A.kbIds[0], 'Paris is the capital of France.', 'before.txt', A.key);
      await first.close();

      const second = await withProcessDim(undefined, () => startTestApp({ database }));
      try {
        expect(second.app.get(ModelProviders).embedding.dim).toBe(48);
        await addTextAndWait(second.http, A.tenantId, A.kbIds[0], 'Berlin is the capital of Germany.', 'after.txt', A.key);
        const q = await second.http.post(`${kbPath(A.tenantId, A.kbIds[0])}/query`, { query: 'capital of Germany', mode: 'mix', only_need_context: true }, A.key);
        expect(q.status).toBe(200);
        expect(q.body.data.context.chunks.map((c: { file_path: string }) => c.file_path)).toContain('after.txt');
      } finally {
        await second.close();
      }
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
