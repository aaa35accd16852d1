import { DocumentQuota } from '../../src/throttling/document-quota';
import { seedTenant, startTestApp, TestApp } from '../support/test-app';

describe('operations: document and storage quotas', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { MAX_DOCUMENTS: '3', MAX_KB_PER_TENANT: '2' } });
  });
  afterAll(() => t.close());

  const docs = (tenantId: string, kbId: string) => `/api/v1/tenants/${tenantId}/knowledge-bases/${kbId}/documents`;
  const stored = async (tenantId: string) =>
    (await t.db.withTenant(tenantId, (db) => db.many<any>(`SELECT count(*)::int AS n FROM documents WHERE tenant_id = $1`, [tenantId])))[0].n as number;

  it('MAX_DOCUMENTS: the N+1th document is refused with 429 QUOTA_EXCEEDED, Retry-After and a clear sentence', async () => {
    const a = await seedTenant(t, 'Quota Docs');
    for (let i = 1; i <= 3; i++) expect((await t.http.post(`${docs(a.tenantId, a.kbIds[0])}/text`, { text: `Quota document ${i}.` }, a.key)).status).toBe(202);
    const refused = await t.http.post(`${docs(a.tenantId, a.kbIds[0])}/text`, { text: 'Quota document 4.' }, a.key);
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('QUOTA_EXCEEDED');
    expect(refused.body.error.message).toMatch(/at most 3 documents/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await stored(a.tenantId)).toBe(3);
  });

  it('a batch that would cross the limit writes nothing; the quota counts every KB of the tenant', async () => {
    const a = await seedTenant(t, 'Quota Batch', ['one', 'two']);
    expect((await t.http.post(`${docs(a.tenantId, a.kbIds[0])}/text`, { text: 'First of the tenant.' }, a.key)).status).toBe(202);
    expect((await t.http.post(`${docs(a.tenantId, a.kbIds[1])}/text`, { text: 'Second, in another KB.' }, a.key)).status).toBe(202);
    const batch = await t.http.post(`${docs(a.tenantId, a.kbIds[1])}/texts`, { texts: ['Third would fit.', 'Fourth would not.'] }, a.key);
    expect(batch.status).toBe(429);
    expect(batch.body.error.code).toBe('QUOTA_EXCEEDED');
    expect(await stored(a.tenantId)).toBe(2);
  });

  it('per-tenant overrides: max_documents and max_storage_gb set by the admin', async () => {
    const big = await seedTenant(t, 'Quota Override');
    await t.http.patch(`/api/v1/tenants/${big.tenantId}`, { limits: { max_documents: 5 } }, t.admin);
    for (let i = 1; i <= 5; i++) expect((await t.http.post(`${docs(big.tenantId, big.kbIds[0])}/text`, { text: `Override document ${i}.` }, big.key)).status).toBe(202);
    expect((await t.http.post(`${docs(big.tenantId, big.kbIds[0])}/text`, { text: 'Override document 6.' }, big.key)).status).toBe(429);

    const small = await seedTenant(t, 'Quota Storage');
    await t.http.patch(`/api/v1/tenants/${small.tenantId}`, { limits: { max_storage_gb: 0.0000001 } }, t.admin); // ≈ 107 bytes
    expect((await t.http.post(`${docs(small.tenantId, small.kbIds[0])}/text`, { text: 'Short text.' }, small.key)).status).toBe(202);
    const tooBig = await t.http.post(
      `${docs(small.tenantId, small.kbIds[0])}/text`,
      { text: 'A longer text that pushes the tenant over its tiny storage quota. '.repeat(3) },
      small.key,
    );
    expect(tooBig.status).toBe(429);
    expect(tooBig.body.error.message).toMatch(/GB of documents/);
    expect(await stored(small.tenantId)).toBe(1);
  });

  it('MAX_KB_PER_TENANT still holds', async () => {
    const a = await seedTenant(t, 'Quota KBs', ['k1', 'k2']);
    const third = await t.http.post(`/api/v1/tenants/${a.tenantId}/knowledge-bases`, { kb_name: 'k3' }, a.key);
    expect(third.status).toBe(429);
    expect(third.body.error.code).toBe('QUOTA_EXCEEDED');
  });

  it('concurrent adds cannot slip past the quota together (the check holds a per-tenant lock)', async () => {
    const a = await seedTenant(t, 'Quota Race');
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => t.http.post(`${docs(a.tenantId, a.kbIds[0])}/text`, { text: `Racing document ${i}.` }, a.key)));
    expect(results.filter((r) => r.status === 202)).toHaveLength(3);
    expect(results.filter((r) => r.status === 429)).toHaveLength(3);
    expect(await stored(a.tenantId)).toBe(3);
  });

  it('DocumentQuota is the provider ThrottlingModule exports to the documents service', async () => {
    const a = await seedTenant(t, 'Quota Direct');
    const quota = t.app.get(DocumentQuota);
    await expect(t.db.withTenant(a.tenantId, (db) => quota.assertCanAdd(db, a.tenantId, 3, 10))).resolves.toBeUndefined();
    await expect(t.db.withTenant(a.tenantId, (db) => quota.assertCanAdd(db, a.tenantId, 4, 10))).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED' });
  });
});
