import { randomUUID } from 'node:crypto';
import { kbPath, waitForProcessed } from '../support/rag';
import { seedTenant, startTestApp, TestApp } from '../support/test-app';

/**
 * Ingestion is model work (embedding, extraction): a tenant that has used its
 * monthly model budget gets its documents failed with QUOTA_EXCEEDED's
 * message, not indexed, and the job is not retried.
 */
describe('ingestion and the monthly model budget', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('indexes within the budget; past it, a new document fails with the budget message and is not retried', async () => {
    const a = await seedTenant(t, `Budget ${randomUUID().slice(0, 6)}`);
    const path = `${kbPath(a.tenantId, a.kbIds[0])}/documents`;
    const first = await t.http.post(`${path}/text`, { text: 'Acme builds bridges in Lisbon. The bridges cross the river.' }, a.key);
    expect(first.status).toBe(202);
    await waitForProcessed(t.http, a.tenantId, a.kbIds[0], first.body.data.document_id, a.key);

    // The first document's own model usage already exceeds a limit of 1 token.
    expect((await t.http.patch(`/api/v1/tenants/${a.tenantId}`, { limits: { monthly_token_limit: 1 } }, t.admin)).status).toBe(200);
    // The usage module may serve the limit status it read before the change for a few seconds.
    const deadline = Date.now() + 15_000;
    while (!(await t.http.get(`/api/v1/tenants/${a.tenantId}/usage`, a.key)).body.data.limits.exceeded) {
      if (Date.now() > deadline) throw new Error('the usage page never reported the limit as exceeded');
      await new Promise((r) => setTimeout(r, 200));
    }
    const second = await t.http.post(`${path}/text`, { text: 'Porto ships wine along the Douro.' }, a.key);
    expect(second.status).toBe(202);
    await expect(waitForProcessed(t.http, a.tenantId, a.kbIds[0], second.body.data.document_id, a.key)).rejects.toThrow(/monthly model budget/);
    const doc = (await t.http.get(`${path}/${second.body.data.document_id}`, a.key)).body.data;
    expect(doc).toMatchObject({ status: 'failed', chunks_count: 0 });
    const jobs = await t.db.withPlatform((db) =>
      db.many<{ attempts: number; state: string }>(`SELECT attempts, state FROM jobs WHERE document_id = $1`, [second.body.data.document_id]),
    );
    expect(jobs).toEqual([{ attempts: 1, state: 'failed' }]);
  });
});
