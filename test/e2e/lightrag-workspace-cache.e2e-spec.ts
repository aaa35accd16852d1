import { seedTenant, startTestApp, TestApp } from '../support/test-app';

/**
 * The compat layer keeps each caller's tenant and KB list (WorkspaceResolver)
 * between requests; a KB created, renamed or deleted is seen by the very
 * next request (TenantEvents clears the entry), never after a wait.
 */
describe('LightRAG workspace selectors follow KB changes at once', () => {
  let t: TestApp;
  let seeded: Awaited<ReturnType<typeof seedTenant>>;

  beforeAll(async () => {
    t = await startTestApp();
    seeded = await seedTenant(t, `ws-cache-${Date.now()}`, ['manuals']);
  });
  afterAll(() => t?.close());

  const labels = (workspace: string) => t.http.request('GET', '/lightrag/graph/label/list', { as: seeded.key, headers: { 'lightrag-workspace': workspace } });
  const kbPath = (kbId = '') => `/api/v1/tenants/${seeded.tenantId}/knowledge-bases${kbId ? `/${kbId}` : ''}`;

  it('a new KB answers, a renamed one answers by its new name only, a deleted one is 404', async () => {
    expect((await labels('manuals')).status).toBe(200);
    expect((await labels('policies')).status).toBe(404);

    const created = await t.http.post(kbPath(), { kb_name: 'policies' }, t.admin);
    expect(created.status).toBe(201);
    const kbId = created.body.data.kb_id as string;
    expect((await labels('policies')).status).toBe(200);

    const renamed = await t.http.request('PATCH', kbPath(kbId), { as: t.admin, body: { kb_name: 'rules' } });
    expect(renamed.status).toBe(200);
    expect((await labels('policies')).status).toBe(404);
    expect((await labels('rules')).status).toBe(200);

    const deleted = await t.http.request('DELETE', kbPath(kbId), { as: t.admin });
    expect(deleted.status).toBe(200);
    expect((await labels('rules')).status).toBe(404);
    expect((await labels('manuals')).status).toBe(200);
  });
});
