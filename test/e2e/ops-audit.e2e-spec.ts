import { AuditService } from '../../src/audit/audit.service';
import { fillAuditChain } from '../support/audit';
import { createKey, seedTenant, startTestApp, TestApp } from '../support/test-app';

describe('operations: the audit log', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const logs = (tenantId: string, as: { key?: string; token?: string }, query = '') => t.http.get(`/api/v1/tenants/${tenantId}/audit-logs${query}`, as);

  it('records state changes and denials with actor, resource, outcome and request id — never the key', async () => {
    const a = await seedTenant(t, 'Audit A');
    const b = await seedTenant(t, 'Audit B');
    const kb = await t.http.post(`/api/v1/tenants/${a.tenantId}/knowledge-bases`, { kb_name: 'audited' }, a.key);
    expect(kb.status).toBe(201);
    const key = await createKey(t, a.tenantId, ['*'], ['kb:read'], a.key);
    const revoke = await t.http.delete(`/api/v1/tenants/${a.tenantId}/api-keys/${key.keyId}`, a.key);
    expect(revoke.status).toBe(200);
    const denied = await t.http.get(`/api/v1/tenants/${b.tenantId}/knowledge-bases`, a.key);
    expect(denied.status).toBe(403);
    const dup = await t.http.post(`/api/v1/tenants/${a.tenantId}/knowledge-bases`, { kb_name: 'audited' }, a.key);
    expect(dup.status).toBe(409);

    const r = await logs(a.tenantId, a.key, '?limit=200');
    expect(r.status).toBe(200);
    const entries: Array<Record<string, any>> = r.body.data;
    const actions = entries.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['tenant.create', 'kb.create', 'apikey.create', 'apikey.revoke', 'auth.denied']));
    const created = entries.find((e) => e.action === 'kb.create' && e.outcome === 'success')!;
    expect(created).toMatchObject({ actor: `api_key:${a.key.keyId}`, resource_id: kb.body.data.kb_id, http_status: 201, request_id: kb.headers.get('x-request-id') });
    expect(created.created_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    const conflict = entries.find((e) => e.action === 'kb.create' && e.outcome === 'failed')!;
    expect(conflict.http_status).toBe(409);
    expect(entries.find((e) => e.action === 'apikey.revoke')).toMatchObject({ resource_id: key.keyId, outcome: 'success' });
    expect(entries.find((e) => e.action === 'auth.denied')).toMatchObject({
      outcome: 'denied',
      http_status: 403,
      details: { reason: 'cross_tenant' },
      request_id: denied.headers.get('x-request-id'),
    });
    expect(r.text).not.toContain(a.key.key!);
    expect(r.text).not.toContain(key.key!);
    expect(r.body.meta.total).toBe(entries.length);

    // B sees none of A's entries; A cannot read B's log.
    const bLogs = await logs(b.tenantId, b.key, '?limit=200');
    expect(bLogs.body.data.every((e: { actor: string }) => e.actor !== `api_key:${a.key.keyId}`)).toBe(true);
    expect((await logs(b.tenantId, a.key)).status).toBe(403);
  });

  it('filters by action, actor and time, paginates, and validates its input', async () => {
    const a = await seedTenant(t, 'Audit Filters');
    for (const n of ['f1', 'f2', 'f3']) await t.http.post(`/api/v1/tenants/${a.tenantId}/knowledge-bases`, { kb_name: n }, a.key);
    const byAction = await logs(a.tenantId, a.key, '?action=kb.create&limit=2');
    expect(byAction.status).toBe(200);
    expect(byAction.body.meta).toEqual({ total: 4, limit: 2, offset: 0 }); // seedTenant's "main" + 3
    expect(byAction.body.data.every((e: { action: string }) => e.action === 'kb.create')).toBe(true);
    const byActor = await logs(a.tenantId, a.key, `?actor=${encodeURIComponent(`api_key:${a.key.keyId}`)}`);
    expect(byActor.body.data).toHaveLength(3);
    const future = await logs(a.tenantId, a.key, `?since=${encodeURIComponent(new Date(Date.now() + 3600_000).toISOString())}`);
    expect(future.body.data).toHaveLength(0);
    const past = await logs(a.tenantId, a.key, `?until=2020-01-01T00:00:00Z`);
    expect(past.body.data).toHaveLength(0);
    expect((await logs(a.tenantId, a.key, '?since=not-a-date')).status).toBe(400);
    expect((await logs(a.tenantId, a.key, '?limit=500')).status).toBe(400);
    const noPerm = await createKey(t, a.tenantId, ['*'], ['kb:read']);
    expect((await logs(a.tenantId, noPerm)).status).toBe(403);
  });

  it('every page, filtered or not, is the matching slice of the whole list, newest first, with the same total (offset steps over rows on the index)', async () => {
    const a = await seedTenant(t, 'Audit Paging');
    await fillAuditChain(t, a.tenantId, 40, (i) => ({ actor: i % 3 ? 'test:paging' : 'test:other', action: i % 2 ? 'test.odd' : 'test.even' }));
    for (const filter of ['', '&action=test.odd', '&actor=test%3Aother', '&action=test.even&actor=test%3Apaging', '&action=no.such']) {
      const whole = await logs(a.tenantId, a.key, `?limit=200${filter}`);
      expect(whole.status).toBe(200);
      const ids: string[] = whole.body.data.map((e: { id: string }) => e.id);
      expect(whole.body.meta.total).toBe(ids.length);
      const seqs: number[] = whole.body.data.map((e: { seq: string }) => Number(e.seq));
      expect([...seqs].sort((x, y) => y - x)).toEqual(seqs);
      for (const [offset, limit] of [
        [0, 7],
        [5, 7],
        [13, 4],
        [Math.max(0, ids.length - 3), 10],
        [ids.length, 5],
        [ids.length + 10, 5],
      ]) {
        const page = await logs(a.tenantId, a.key, `?offset=${offset}&limit=${limit}${filter}`);
        expect(page.status).toBe(200);
        expect(page.body.data.map((e: { id: string }) => e.id)).toEqual(ids.slice(offset, offset + limit));
        expect(page.body.meta).toEqual({ total: ids.length, limit, offset });
      }
    }
  });

  it('a failed login and a bad key are recorded; platform rows (tenant_id NULL) stay invisible to tenants', async () => {
    const bad = await t.http.post('/api/v1/auth/login', { username: 'admin', password: 'wrong-password' });
    expect(bad.status).toBe(401);
    const unknown = await t.http.get('/api/v1/tenants', { key: 'sk-this-key-does-not-exist-000000000000' });
    expect(unknown.status).toBe(401);
    await t.app.get(AuditService).flush();
    const rows = await t.db.withPlatform((db) =>
      db.many<any>(`SELECT action, outcome, http_status, tenant_id, details FROM audit_log WHERE request_id = ANY($1)`, [
        [bad.headers.get('x-request-id'), unknown.headers.get('x-request-id')],
      ]),
    );
    expect(rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: 'auth.login', outcome: 'failed', http_status: 401, tenant_id: null, details: expect.objectContaining({ username: 'admin' }) }),
        expect.objectContaining({ action: 'auth.failed', outcome: 'failed', http_status: 401, tenant_id: null }),
      ]),
    );
    expect(JSON.stringify(rows)).not.toContain('wrong-password');
    const a = await seedTenant(t, 'Audit Platform Rows');
    const mine = await logs(a.tenantId, a.key, '?limit=200');
    expect(mine.body.data.some((e: { action: string }) => e.action === 'auth.failed' || e.action === 'auth.login')).toBe(false);
  });

  it('the app roles cannot update or delete audit rows', async () => {
    await t.app.get(AuditService).flush();
    await expect(t.db.withPlatform((db) => db.many<any>(`UPDATE audit_log SET action = 'x'`))).rejects.toThrow(/permission denied/);
    await expect(t.db.withPlatform((db) => db.many<any>(`DELETE FROM audit_log`))).rejects.toThrow(/permission denied/);
    const a = await seedTenant(t, 'Audit Append Only');
    await expect(t.db.withTenant(a.tenantId, (db) => db.many<any>(`DELETE FROM audit_log`))).rejects.toThrow(/permission denied/);
  });

  it('keeps one gap-free chain under concurrent writers', async () => {
    const a = await seedTenant(t, 'Audit Concurrency');
    await Promise.all(Array.from({ length: 40 }, (_, i) => t.http.post(`/api/v1/tenants/${a.tenantId}/knowledge-bases`, { kb_name: `c${i}` }, a.key)));
    const v = await t.http.get('/api/v1/audit/verify', t.admin);
    expect(v.status).toBe(200);
    expect(v.body.data).toMatchObject({ valid: true });
    expect(v.body.data.checked).toBeGreaterThan(40);
    expect((await t.http.get('/api/v1/audit/verify', a.key)).status).toBe(403);
  });

  it('verify reports the first row altered by SQL as the table owner, and passes again once restored', async () => {
    const a = await seedTenant(t, 'Audit Tamper');
    await t.http.post(`/api/v1/tenants/${a.tenantId}/knowledge-bases`, { kb_name: 'tamper-me' }, a.key);
    await t.app.get(AuditService).flush();
    const [row] = await t.db.withPlatform((db) =>
      db.many<any>(`SELECT id, seq::text AS seq, actor FROM audit_log WHERE tenant_id = $1 AND action = 'kb.create' ORDER BY seq DESC LIMIT 1`, [a.tenantId]),
    );
    // The owner connection (superuser or table owner with the retention policies) edits the row behind the app's back.
    await t.db.dataSource.query(`UPDATE audit_log SET actor = 'admin:someone-else' WHERE id = $1`, [row.id]);
    const broken = await t.http.get('/api/v1/audit/verify', t.admin);
    expect(broken.body.data).toMatchObject({ valid: false, first_broken_id: row.id, first_broken_seq: row.seq });

    await t.db.dataSource.query(`UPDATE audit_log SET actor = $2 WHERE id = $1`, [row.id, row.actor]);
    expect((await t.http.get('/api/v1/audit/verify', t.admin)).body.data.valid).toBe(true);

    // Deleting a row in the middle of the tenant's chain is caught as well, at the next row of that chain.
    const [mid] = await t.db.dataSource.query(`SELECT id, seq::text AS seq FROM audit_log WHERE tenant_id = $1 AND seq = 2`, [a.tenantId]);
    const [next] = await t.db.dataSource.query(`SELECT id FROM audit_log WHERE tenant_id = $1 AND seq = 3`, [a.tenantId]);
    // Kept in the test, not in a temp table: the server's pool may run the next statement on another connection.
    const [saved] = await t.db.dataSource.query(`SELECT to_jsonb(a) AS row FROM audit_log a WHERE id = $1`, [mid.id]);
    await t.db.dataSource.query(`DELETE FROM audit_log WHERE id = $1`, [mid.id]);
    const gap = await t.http.get('/api/v1/audit/verify', t.admin);
    expect(gap.body.data).toMatchObject({ valid: false, first_broken_id: next.id, first_broken_seq: '3', chain: a.tenantId });
    await t.db.dataSource.query(`INSERT INTO audit_log SELECT * FROM jsonb_populate_record(NULL::audit_log, $1::jsonb)`, [JSON.stringify(saved.row)]);
    expect((await t.http.get('/api/v1/audit/verify', t.admin)).body.data.valid).toBe(true);
  });

  it("GET …/audit-logs/verify checks the tenant's own chain only: valid, then the altered row, and another tenant's broken chain does not count", async () => {
    const a = await seedTenant(t, 'Audit Own Verify A');
    const b = await seedTenant(t, 'Audit Own Verify B');
    for (const n of ['v1', 'v2']) await t.http.post(`/api/v1/tenants/${a.tenantId}/knowledge-bases`, { kb_name: n }, a.key);
    await t.http.post(`/api/v1/tenants/${b.tenantId}/knowledge-bases`, { kb_name: 'b1' }, b.key);
    const verify = (tenantId: string, as: { key?: string; token?: string }) => t.http.get(`/api/v1/tenants/${tenantId}/audit-logs/verify`, as);

    const ok = await verify(a.tenantId, a.key);
    expect(ok.status).toBe(200);
    // The entries just written are flushed first: tenant.create, the seeded KB and key, the two KBs above.
    const [{ n: rows }] = await t.db.dataSource.query(`SELECT count(*)::int AS n FROM audit_log WHERE tenant_id = $1`, [a.tenantId]);
    expect(ok.body.data).toMatchObject({ valid: true, checked: rows, chain: a.tenantId, starts_at_seq: '1', head_seq: String(rows) });
    expect(ok.body.data.head_hash).toMatch(/^[0-9a-f]{64}$/);

    // B's chain altered behind the app's back: A's verify still passes, B's names the row.
    const [row] = await t.db.dataSource.query(`SELECT id, seq::text AS seq, actor FROM audit_log WHERE tenant_id = $1 ORDER BY seq DESC LIMIT 1`, [b.tenantId]);
    await t.db.dataSource.query(`UPDATE audit_log SET actor = 'admin:someone-else' WHERE id = $1`, [row.id]);
    try {
      expect((await verify(a.tenantId, a.key)).body.data).toMatchObject({ valid: true, checked: rows });
      const broken = await verify(b.tenantId, b.key);
      expect(broken.status).toBe(200);
      expect(broken.body.data).toMatchObject({ valid: false, first_broken_id: row.id, first_broken_seq: row.seq, chain: b.tenantId });
      expect(broken.body.data.reason).toMatch(/HMAC/);
    } finally {
      await t.db.dataSource.query(`UPDATE audit_log SET actor = $2 WHERE id = $1`, [row.id, row.actor]);
    }
    expect((await verify(b.tenantId, b.key)).body.data.valid).toBe(true);

    // audit:read is needed, and only for the caller's own tenant.
    const noPerm = await createKey(t, a.tenantId, ['*'], ['kb:read']);
    expect((await verify(a.tenantId, noPerm)).status).toBe(403);
    expect((await verify(b.tenantId, a.key)).status).toBe(403);
    const reader = await createKey(t, a.tenantId, ['*'], ['audit:read']);
    expect((await verify(a.tenantId, reader)).body.data.valid).toBe(true);
  });

  it('a purge removes the tenant’s chain and leaves every other chain valid; the deletion stays in the platform chain', async () => {
    const a = await seedTenant(t, 'Audit Purged');
    await t.http.post(`/api/v1/tenants/${a.tenantId}/knowledge-bases`, { kb_name: 'gone-soon' }, a.key);
    expect((await t.http.delete(`/api/v1/tenants/${a.tenantId}?purge=true`, t.admin)).status).toBe(200);
    await t.app.get(AuditService).flush();
    const [{ n }] = await t.db.dataSource.query(`SELECT count(*)::int AS n FROM audit_log WHERE tenant_id = $1`, [a.tenantId]);
    expect(n).toBe(0);
    const platform = await t.db.withPlatform((db) => db.many<any>(`SELECT action, resource_id FROM audit_log WHERE tenant_id IS NULL AND resource_id = $1`, [a.tenantId]));
    // tenant.delete is a platform action; entries still buffered when the tenant vanished (here tenant.create) move there too.
    expect(platform.map((r: { action: string }) => r.action)).toContain('tenant.delete');
    expect((await t.http.get('/api/v1/audit/verify', t.admin)).body.data.valid).toBe(true);
  });

  it('retention removes only the oldest prefix of a chain, records the cut, and the chains still verify', async () => {
    const audit = t.app.get(AuditService);
    const a = await seedTenant(t, 'Audit Retention');
    for (const n of ['r1', 'r2', 'r3']) await t.http.post(`/api/v1/tenants/${a.tenantId}/knowledge-bases`, { kb_name: n }, a.key);
    await audit.flush();
    const [{ n: before }] = await t.db.dataSource.query(`SELECT count(*)::int AS n FROM audit_log WHERE tenant_id = $1`, [a.tenantId]);
    // Age the first three rows of this tenant's chain past AUDIT_LOG_RETENTION_DAYS (365 by default).
    await t.db.dataSource.query(`UPDATE audit_log SET created_at = created_at - interval '400 days' WHERE tenant_id = $1 AND seq <= 3`, [a.tenantId]);
    expect(await audit.applyRetention()).toEqual({ deleted: 3 });
    const [{ n: after }] = await t.db.dataSource.query(`SELECT count(*)::int AS n FROM audit_log WHERE tenant_id = $1`, [a.tenantId]);
    expect(after).toBe(before - 3);
    expect((await t.http.get('/api/v1/audit/verify', t.admin)).body.data).toMatchObject({ valid: true });
    const [cut] = await t.db.withPlatform((db) => db.many<any>(`SELECT details FROM audit_log WHERE tenant_id IS NULL AND action = 'audit.retention'`));
    expect(cut.details).toMatchObject({ chain: a.tenantId, deleted: 3, kept_from_seq: '4' });

    // Deleting more of the prefix by hand is not a recorded cut: verify says so.
    const [first] = await t.db.dataSource.query(`SELECT id FROM audit_log WHERE tenant_id = $1 AND seq = 5`, [a.tenantId]);
    await t.db.dataSource.query(`DELETE FROM audit_log WHERE tenant_id = $1 AND seq = 4`, [a.tenantId]);
    const v2 = await t.http.get('/api/v1/audit/verify', t.admin);
    expect(v2.body.data).toMatchObject({ valid: false, first_broken_id: first.id, chain: a.tenantId });
  });
});

describe('operations: ENABLE_AUDIT_LOGGING=false', () => {
  it('records nothing', async () => {
    const t = await startTestApp({ env: { ENABLE_AUDIT_LOGGING: 'false' } });
    try {
      const a = await seedTenant(t, 'Unaudited');
      await t.http.post(`/api/v1/tenants/${a.tenantId}/knowledge-bases`, { kb_name: 'quiet' }, a.key);
      const r = await t.http.get(`/api/v1/tenants/${a.tenantId}/audit-logs`, a.key);
      expect(r.status).toBe(200);
      expect(r.body.data).toEqual([]);
      const [{ n }] = await t.db.dataSource.query(`SELECT count(*)::int AS n FROM audit_log`);
      expect(n).toBe(0);
    } finally {
      await t.close();
    }
  });
});
