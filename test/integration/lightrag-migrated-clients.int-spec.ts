import { rmSync } from 'node:fs';
import { installation, run } from '../support/lightrag-installation';
import { persistentDatabase } from '../support/test-db';
import { ALL_PERMISSIONS, createKey, startTestApp, TestApp } from '../support/test-app';
import type { Credentials } from '../support/http';

/**
 * Issue 10's end-to-end promise: a LightRAG installation with three workspaces
 * (the default one, acme, globex) migrates with --all, and afterwards each
 * migrated tenant answers through /lightrag with the header its LightRAG
 * client already sent (LIGHTRAG-WORKSPACE: acme), and never sees another's data.
 */
describe('LightRAG clients after scripts/migrate-workspace-to-tenant --all', () => {
  let root: string;
  let db: Awaited<ReturnType<typeof persistentDatabase>>;
  let t: TestApp;
  const keys: Record<string, Credentials & { keyId: string }> = {};

  beforeAll(async () => {
    root = installation();
    db = await persistentDatabase();
    const migrated = await run(['--working-dir', root, '--all', '--json'], db.env);
    if (migrated.code !== 0) throw new Error(`migration failed: ${migrated.out}`);
    t = await startTestApp({ database: db });
    const tenants = (await t.http.get('/api/v1/tenants?limit=100', t.admin)).body.data as Array<{ tenant_id: string; slug: string }>;
    for (const slug of ['default', 'acme', 'globex']) {
      const tenant = tenants.find((x) => x.slug === slug);
      if (!tenant) throw new Error(`tenant ${slug} was not migrated`);
      keys[slug] = await createKey(t, tenant.tenant_id, ['*'], ALL_PERMISSIONS);
    }
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
    rmSync(root, { recursive: true, force: true });
  });

  const labels = (as: Credentials, ws?: string) => t.http.request('GET', '/lightrag/graph/label/list', { as, headers: ws === undefined ? {} : { 'lightrag-workspace': ws } });

  it('each tenant reaches its migrated KB with its old workspace header, or with none', async () => {
    const acme = await labels(keys.acme, 'acme');
    expect(acme.status).toBe(200);
    expect(acme.body).toEqual(['Acme Corporation', 'Rocket Skates']);
    expect((await labels(keys.acme)).body).toEqual(['Acme Corporation', 'Rocket Skates']);
    const globex = await labels(keys.globex, 'globex');
    expect(globex.body).toEqual(['Hank Scorpio']);
    // the default workspace: LightRAG's clients sent no header at all
    const def = await labels(keys.default);
    expect(def.status).toBe(200);
    expect(def.body).toContain('Robert Stevenson');
    const health = await t.http.request('GET', '/lightrag/health', { as: keys.acme, headers: { 'lightrag-workspace': 'acme' } });
    expect(health.body.configuration.workspace).toBe('default');
  });

  it('a migrated tenant naming another workspace gets 403 and none of its data', async () => {
    for (const [who, ws] of [
      ['acme', 'globex__default'],
      ['globex', 'acme__default'],
      ['default', 'acme__default'],
    ]) {
      const r = await labels(keys[who], ws);
      expect({ who, ws, status: r.status }).toEqual({ who, ws, status: 403 });
      expect(r.text).not.toMatch(/Acme Corporation|Rocket Skates|Hank Scorpio|Robert Stevenson/);
    }
    // a bare foreign workspace name is not a tenant selector: it names a KB of the caller's own tenant, which does not exist
    const bare = await labels(keys.acme, 'globex');
    expect(bare.status).toBe(404);
    expect(bare.text).not.toContain('Hank Scorpio');
  });
});
