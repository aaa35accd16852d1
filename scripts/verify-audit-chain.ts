/**
 * Verifies the audit log's keyed chains from the command line: `npm run audit:verify`,
 * or `npm run audit:verify -- --expect heads.json` to also check heads recorded
 * earlier (the `heads` of a previous run or of GET /api/v1/audit/verify; the
 * file may hold that array, {heads: [...]}, or the whole response).
 * Uses DATABASE_URL, or the embedded database in DATA_DIR — PGlite serves one
 * process at a time, so stop the server first (or call the HTTP route on the
 * running server instead). Needs the server's TOKEN_SECRET, or without it the
 * key file in DATA_DIR (the chain key is derived from either, as the server
 * does). Prints {valid, checked, heads, truncated?, first_broken_id?}
 * as JSON; exits 0 when every chain is intact, 1 when one is broken or
 * truncated, 2 on error.
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { auditChainKeyFor } from '../src/auth/secrets.service';
import { ExpectedHead, openCutover, verifyAllChains } from '../src/audit/audit-chain';
import { AuditRepository } from '../src/audit/audit.repository';
import { parseSettings } from '../src/config/app-config';
import { openDatabase } from '../src/database/data-source.factory';
import { Db, runInTransaction } from '../src/database/db';

function expectedHeads(argv: string[]): ExpectedHead[] | undefined {
  const i = argv.indexOf('--expect');
  if (i < 0) return undefined;
  if (!argv[i + 1]) throw new Error('--expect needs a file (heads.json)');
  const raw = JSON.parse(readFileSync(argv[i + 1], 'utf8')) as unknown;
  const obj = raw as { heads?: unknown; data?: { heads?: unknown } };
  const heads: unknown = Array.isArray(raw) ? raw : (obj.heads ?? obj.data?.heads);
  if (!Array.isArray(heads)) throw new Error(`${argv[i + 1]}: no heads array (expected [...], {heads: [...]} or a verify response)`);
  return (heads as Array<{ chain?: unknown; seq?: unknown; hash?: unknown }>).map((h) => ({ chain: String(h.chain), seq: String(h.seq), hash: String(h.hash) }));
}

async function main(): Promise<number> {
  const settings = parseSettings(process.env);
  const expected = expectedHeads(process.argv.slice(2));
  const db = await openDatabase({ databaseUrl: settings.databaseUrl, dataDir: settings.dataDir, poolSize: 1 });
  // Read as strata_platform, the role that sees every row, like the HTTP route.
  const asPlatform = <T>(work: (m: Db) => Promise<T>): Promise<T> => runInTransaction(db.dataSource, `SELECT set_config('role', 'strata_platform', true)`, work);
  try {
    const repo = new AuditRepository();
    const key = auditChainKeyFor(settings);
    if (!key) throw new Error(`no TOKEN_SECRET and no key file in ${settings.dataDir}: the chain key cannot be derived`);
    const legacy = openCutover(key, await asPlatform((m) => repo.cutover(m)));
    const result = await verifyAllChains(repo.source(asPlatform), { key, legacy }, expected);
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
