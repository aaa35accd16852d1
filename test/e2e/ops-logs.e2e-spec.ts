import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Http } from '../support/http';
import { freshDatabase, TestDatabase } from '../support/test-db';

/**
 * The built server (needs `npm run build`, as npm test does): log lines carry
 * request_id, tenant_id and kb_id; secrets never reach the log; buffered audit
 * entries are flushed on SIGTERM; `npm run audit:verify` checks the chain
 * offline once the server is stopped (PGlite serves one process at a time).
 */
const ROOT = join(__dirname, '..', '..');

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('operations: logs and the offline audit check', () => {
  let dir: string;
  let database: TestDatabase | null = null;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'strata-ops-logs-'));
    database = process.env.TEST_DATABASE_URL ? await freshDatabase() : null;
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await database?.drop();
  });

  it('binds request_id, tenant_id and kb_id to request logs, redacts secrets, flushes the audit log on shutdown', async () => {
    const port = String(20000 + Math.floor(Math.random() * 20000));
    const env = {
      ...process.env,
      PORT: port,
      HOST: '127.0.0.1',
      DATA_DIR: dir,
      ADMIN_PASSWORD: 'ops-logs-password',
      LOG_LEVEL: 'info',
      ENCRYPTION_KEY: 'ab'.repeat(32),
      ...(database?.env ?? {}),
    };
    let out = '';
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'main.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (out += d.toString()));
    child.stderr!.on('data', (d) => (out += d.toString()));
    const http = new Http(`http://127.0.0.1:${port}`);
    try {
      // Generous: on a loaded CI machine the start can be slow; readiness time is process.e2e-spec's concern.
      let ready = false;
      for (let i = 0; i < 600 && !ready && child.exitCode === null; i++) {
        try {
          ready = (await http.get('/health/ready')).status === 200;
        } catch {
          /* not up yet */
        }
        if (!ready) await new Promise((r) => setTimeout(r, 200));
      }
      if (!ready) throw new Error(`server did not become ready:\n${out.slice(-2000)}`);
      const token = (await http.post('/api/v1/auth/login', { username: 'admin', password: 'ops-logs-password' })).body.data.access_token;
      const tenantId = (await http.post('/api/v1/tenants', { tenant_name: 'Logged' }, { token })).body.data.tenant_id;
      const kbId = (await http.post(`/api/v1/tenants/${tenantId}/knowledge-bases`, { kb_name: 'logged-kb' }, { token })).body.data.kb_id;
      const key = (
        await http.post(`/api/v1/tenants/${tenantId}/api-keys`, { key_name: 'k', knowledge_base_ids: ['*'], permissions: ['kb:read', 'tenant:write', 'query:run'] }, { token })
      ).body.data.key;
      const r = await http.request('GET', `/api/v1/tenants/${tenantId}/knowledge-bases/${kbId}`, { as: { key }, headers: { 'x-request-id': 'ops-log-req-1' } });
      expect(r.status).toBe(200);
      // Batched entries (queries) are only in memory until the next flush or shutdown.
      expect((await http.post(`/api/v1/tenants/${tenantId}/knowledge-bases/${kbId}/query`, { query: 'anything?', only_need_context: true }, { key })).status).toBe(200);
      const llmSecret = 'sk-provider-secret-that-must-not-be-logged';
      expect((await http.request('PUT', `/api/v1/tenants/${tenantId}/llm-key`, { body: { api_key: llmSecret }, as: { key } })).status).toBe(200);

      const exited = exitOf(child);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);

      const lines = out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l));
      const mine = lines.filter((l) => l.request_id === 'ops-log-req-1');
      expect(mine.length).toBeGreaterThan(0);
      expect(mine.some((l) => l.tenant_id === tenantId && l.kb_id === kbId)).toBe(true);
      expect(out).not.toContain(key);
      expect(out).not.toContain(token);
      expect(out).not.toContain(llmSecret);
      expect(out).not.toContain('ops-logs-password');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }

    const verify = spawnSync(process.execPath, [join(ROOT, 'dist', 'scripts', 'verify-audit-chain.js')], { env, encoding: 'utf8' });
    expect(verify.status).toBe(0);
    const result = JSON.parse(verify.stdout.trim());
    expect(result).toMatchObject({ valid: true });
    // tenant.create, kb.create, apikey.create, tenant.llm_key.set, query.run (flushed at SIGTERM) and the admin login.
    expect(result.checked).toBeGreaterThanOrEqual(6);
  }, 240_000);
});
