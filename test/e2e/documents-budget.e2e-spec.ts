import { randomUUID } from 'node:crypto';
import { UsageService } from '../../src/usage/usage.service';
import { kbPath, waitForProcessed } from '../support/rag';
import { seedTenant, startTestApp, TestApp } from '../support/test-app';
import { persistentDatabase } from '../support/test-db';
import { recordAnswerTokens } from '../support/usage';

/**
 * Ingestion is model work (embedding, extraction). The document routes refuse
 * new documents once the monthly budget is used (ops-usage); a document
 * accepted before that, still queued, is checked again by the worker: it
 * fails with QUOTA_EXCEEDED's message, is not indexed, and is not retried.
 */
describe('ingestion and the monthly model budget', () => {
  let t: TestApp | undefined;
  afterAll(() => t?.close());

  it('a document queued before the budget ran out fails in the worker with the budget message, not indexed and not retried', async () => {
    const database = await persistentDatabase();
    try {
      // An API-only replica (no ingestion worker): the document is accepted and stays queued.
      t = await startTestApp({ database, env: { WORKER_CONCURRENCY: '0' } });
      const a = await seedTenant(t, `Budget ${randomUUID().slice(0, 6)}`);
      const path = `${kbPath(a.tenantId, a.kbIds[0])}/documents`;
      const queued = await t.http.post(`${path}/text`, { text: 'Porto ships wine along the Douro.' }, a.key);
      expect(queued.status).toBe(202);

      // Then the tenant's budget runs out: a limit of 1 token and 50 tokens used.
      expect((await t.http.patch(`/api/v1/tenants/${a.tenantId}`, { limits: { monthly_token_limit: 1 } }, t.admin)).status).toBe(200);
      recordAnswerTokens(t, a.tenantId, a.kbIds[0], 40, 10);
      await t.app.get(UsageService).flush();
      expect((await t.http.get(`/api/v1/tenants/${a.tenantId}/usage`, a.key)).body.data.limits.exceeded).toBe(true);
      await t.app.close();

      // A replica with a worker picks the job up and refuses to spend past the budget.
      t = await startTestApp({ database });
      const id = queued.body.data.document_id;
      await expect(waitForProcessed(t.http, a.tenantId, a.kbIds[0], id, a.key)).rejects.toThrow(/monthly model budget/);
      const doc = (await t.http.get(`${path}/${id}`, a.key)).body.data;
      expect(doc).toMatchObject({ status: 'failed', chunks_count: 0 });
      const jobs = await t.db.withPlatform((db) => db.many<{ attempts: number; state: string }>(`SELECT attempts, state FROM jobs WHERE document_id = $1`, [id]));
      expect(jobs).toEqual([{ attempts: 1, state: 'failed' }]);
    } finally {
      await t?.close();
      t = undefined;
      await database.drop();
    }
  });
});
