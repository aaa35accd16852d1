/**
 * Verifies the audit log's hash chain from the command line: `npm run audit:verify`.
 * Uses DATABASE_URL, or the embedded database in DATA_DIR — PGlite serves one
 * process at a time, so stop the server first (or call GET /api/v1/audit/verify
 * on the running server instead). Prints {valid, checked, first_broken_id?} as
 * JSON; exits 0 when the chain is intact, 1 when it is broken, 2 on error.
 */
import 'reflect-metadata';
import { AuditRow, verifyAllChains } from '../src/audit/audit-chain';
import { parseSettings } from '../src/config/app-config';
import { openDatabase } from '../src/database/data-source.factory';

const COLUMNS = `seq::text AS seq, id, tenant_id, kb_id, actor, action, resource_id, outcome, http_status, request_id, client_ip, details, created_at, prev_hash, hash`;

async function main(): Promise<number> {
  const settings = parseSettings(process.env);
  const db = await openDatabase({ databaseUrl: settings.databaseUrl, dataDir: settings.dataDir, poolSize: 1 });
  // Read as strata_platform, the role that sees every row, like the HTTP route.
  const asPlatform = <T>(sql: string, params: unknown[]): Promise<T> =>
    db.dataSource.transaction(async (m) => {
      await m.query(`SELECT set_config('role', 'strata_platform', true)`);
      return m.query(sql, params);
    });
  try {
    const result = await verifyAllChains({
      chains: async () => (await asPlatform<Array<{ tenant_id: string | null }>>(`SELECT DISTINCT tenant_id FROM audit_log ORDER BY tenant_id NULLS FIRST`, [])).map((r) => r.tenant_id),
      page: (chain, after, limit) =>
        asPlatform<AuditRow[]>(
          `SELECT ${COLUMNS} FROM audit_log WHERE tenant_id IS NOT DISTINCT FROM $3::uuid AND ($1::bigint IS NULL OR seq > $1::bigint) ORDER BY audit_log.seq LIMIT $2`,
          [after, limit, chain],
        ),
      retentionExplains: async (chain, seq, prev) =>
        (
          await asPlatform<unknown[]>(
            `SELECT 1 FROM audit_log WHERE tenant_id IS NULL AND action = 'audit.retention' AND details ->> 'chain' = $1
                AND details ->> 'kept_from_seq' = $2 AND details ->> 'kept_from_prev_hash' = $3 LIMIT 1`,
            [chain ?? 'platform', seq, prev],
          )
        ).length > 0,
    });
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return result.valid ? 0 : 1;
  } finally {
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`audit verification failed to run: ${(err as Error).message}\n`);
    process.exit(2);
  },
);
