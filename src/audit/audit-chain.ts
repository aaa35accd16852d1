import { createHash, createHmac } from 'node:crypto';

/** The hash a chain starts from (the first row ever written has it as prev_hash). */
export const GENESIS_HASH = '0'.repeat(64);

/** One audit row as stored (and as read back). */
export interface AuditRow {
  seq: string;
  id: string;
  tenant_id: string | null;
  kb_id: string | null;
  actor: string;
  action: string;
  resource_id: string | null;
  outcome: 'success' | 'denied' | 'failed';
  http_status: number | null;
  request_id: string | null;
  client_ip: string | null;
  details: Record<string, unknown>;
  created_at: Date;
  prev_hash: string;
  hash: string;
  /** 1: unkeyed sha256 (rows written before the HMAC cut-over); 2: HMAC-SHA256 under the audit chain key. */
  hash_version?: number;
}

/** The audit chain key is derived with the server's other keys (HKDF-SHA256 of the token secret). */
export { deriveAuditChainKey } from '../auth/server-keys';

/**
 * PostgreSQL text and jsonb cannot hold U+0000, and jsonb refuses a lone
 * surrogate's escape: such a row used to be refused, and the entry dropped.
 * Both become U+FFFD (in strings and object keys, at every level) before the
 * row is sealed, so what is stored is exactly what was hashed.
 */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function auditSafe<T>(value: T): T {
  if (typeof value === 'string') return value.replace(UNSTORABLE, '\ufffd') as T;
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  if (Array.isArray(value)) return value.map(auditSafe) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[auditSafe(k)] = auditSafe(v);
  return out as T;
}

/** JSON with object keys sorted at every level: jsonb reorders keys, so the hash must not depend on order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`)
    .join(',')}}`;
}

function rowContent(row: Omit<AuditRow, 'hash'>): string {
  return canonicalJson([
    String(row.seq),
    row.id,
    row.tenant_id,
    row.kb_id,
    row.actor,
    row.action,
    row.resource_id,
    row.outcome,
    row.http_status,
    row.request_id,
    row.client_ip,
    row.details ?? {},
    new Date(row.created_at).toISOString(),
  ]);
}

/** Version 1 (legacy rows): sha256(prev_hash | canonical content), every column but the hash itself. */
export function hashAuditRow(row: Omit<AuditRow, 'hash'>): string {
  return createHash('sha256')
    .update(`${row.prev_hash}|${rowContent(row)}`)
    .digest('hex');
}

/** Version 2: HMAC-SHA256(key, "v2|" prev_hash | canonical content); the link (seq, prev_hash) is inside the MAC. */
export function sealAuditRow(key: Buffer, row: Omit<AuditRow, 'hash'>): string {
  return createHmac('sha256', key)
    .update(`v2|${row.prev_hash}|${rowContent(row)}`)
    .digest('hex');
}

/** A MAC over any small record (the sealed cut-over of legacy chains). */
export function macOf(key: Buffer, label: string, value: unknown): string {
  return createHmac('sha256', key)
    .update(`${label}|${canonicalJson(value)}`)
    .digest('hex');
}

/** Where each chain's unkeyed (version 1) rows end, sealed with the chain key when the server first ran with keyed rows. */
export type LegacyCutover = Record<string, { seq: string; hash: string }>;
export const LEGACY_CUTOVER_SETTING = 'audit_hmac_cutover';

export function sealCutover(key: Buffer, chains: LegacyCutover): string {
  return JSON.stringify({ chains, mac: macOf(key, 'audit-cutover', chains) });
}

/** The sealed cut-over from platform_settings, or null when absent or when its MAC is wrong (then no unkeyed row is accepted). */
export function openCutover(key: Buffer, stored: string | null | undefined): LegacyCutover | null {
  if (!stored) return null;
  try {
    const { chains, mac } = JSON.parse(stored) as { chains: LegacyCutover; mac: string };
    return typeof mac === 'string' && mac === macOf(key, 'audit-cutover', chains) ? chains : null;
  } catch {
    return null;
  }
}

export interface ChainHead {
  /** `platform` or the tenant id. */
  chain: string;
  seq: string;
  hash: string;
  rows: number;
}

/** A head recorded outside the database (from an earlier verify's `heads`). */
export interface ExpectedHead {
  chain: string;
  seq: string;
  hash: string;
}

export interface Truncation {
  chain: string;
  recorded_seq: string;
  recorded_hash: string;
  reason: string;
}

export interface VerifyOptions {
  key: Buffer;
  /** Sealed cut-over of the legacy (unkeyed) rows, or null: then every row must be keyed. */
  legacy: LegacyCutover | null;
}

export interface VerifyResult {
  valid: boolean;
  checked: number;
  first_broken_id?: string;
  first_broken_seq?: string;
  /** The chain of the first broken row: `platform` or a tenant id. */
  chain?: string;
  /** Why the first broken row fails (hash mismatch, link mismatch, gap, unexplained start). */
  reason?: string;
  /** seq of the oldest remaining row (> 1 after a retention cut). */
  starts_at_seq?: string;
  /** The newest row: record it elsewhere (a ticket, a log shipper) to anchor the chain's head too. */
  head_hash?: string;
  head_seq?: string;
}

export interface ChainSource {
  /** Rows with seq > afterSeq, in seq order, at most `limit`. */
  page(afterSeq: string | null, limit: number): Promise<AuditRow[]>;
  /** Whether an `audit.retention` entry explains a chain that starts at `seq` with `prevHash`. */
  retentionExplains(seq: string, prevHash: string): Promise<boolean>;
}

/**
 * Walks the chain in seq order. The oldest remaining row may start after a
 * retention cut: it is accepted when it is seq 1 with the genesis hash, or
 * when an `audit.retention` entry (itself inside the chain) records exactly
 * that cut. Every later row must link to its predecessor (prev_hash), follow
 * it without a gap (seq + 1) and carry its MAC: HMAC under the chain key for
 * version 2 rows; version 1 (unkeyed) rows only up to the sealed cut-over of
 * their chain, whose last row must hash exactly to the sealed hash — so no
 * unkeyed row can be edited, added or recomputed after the cut-over.
 */
export async function verifyChain(source: ChainSource, opts: VerifyOptions & { chain?: string }, pageSize = 1000): Promise<VerifyResult> {
  let checked = 0;
  let prev: AuditRow | null = null;
  let after: string | null = null;
  let start: string | undefined;
  let keyed = false;
  const cut = opts.legacy?.[opts.chain ?? 'platform'];
  for (;;) {
    const rows = await source.page(after, pageSize);
    if (!rows.length) break;
    for (const row of rows) {
      const broken = (reason: string): VerifyResult => ({ valid: false, checked, first_broken_id: row.id, first_broken_seq: String(row.seq), reason, starts_at_seq: start });
      if (!prev) {
        start = String(row.seq);
        const genesis = String(row.seq) === '1' && row.prev_hash === GENESIS_HASH;
        if (!genesis && !(await source.retentionExplains(String(row.seq), row.prev_hash)))
          return broken('the oldest row is not the start of the chain and no retention entry records this cut');
      } else {
        if (BigInt(row.seq) !== BigInt(prev.seq) + 1n) return broken(`a row is missing before seq ${row.seq}`);
        if (row.prev_hash !== prev.hash) return broken('prev_hash does not match the previous row');
      }
      const version = Number(row.hash_version ?? 1);
      if (version === 2) {
        keyed = true;
        if (sealAuditRow(opts.key, row) !== row.hash) return broken('the row content does not match its keyed hash (HMAC)');
      } else if (version === 1) {
        if (keyed) return broken('an unkeyed (version 1) row after keyed rows');
        if (!cut || BigInt(row.seq) > BigInt(cut.seq)) return broken('an unkeyed (version 1) row that no sealed cut-over covers');
        if (hashAuditRow(row) !== row.hash) return broken('the row content does not match its hash');
        if (String(row.seq) === String(cut.seq) && row.hash !== cut.hash) return broken('the last unkeyed row differs from the sealed cut-over');
      } else {
        return broken(`unknown hash version ${version}`);
      }
      checked++;
      prev = row;
    }
    after = String(rows[rows.length - 1].seq);
  }
  const last = prev as AuditRow | null;
  return { valid: true, checked, ...(start ? { starts_at_seq: start } : {}), ...(last ? { head_hash: last.hash, head_seq: String(last.seq) } : {}) };
}

export interface ChainsSource {
  chains(): Promise<Array<string | null>>;
  page(chain: string | null, afterSeq: string | null, limit: number): Promise<AuditRow[]>;
  retentionExplains(chain: string | null, seq: string, prevHash: string): Promise<boolean>;
  /** The hash of the row at `seq` in `chain`, if that row exists. */
  hashAt(chain: string | null, seq: string): Promise<string | null>;
  /** Whether the platform chain records the deletion of this tenant and the tenant is gone (a purge removes its chain). */
  purged(tenantId: string): Promise<boolean>;
}

export interface VerifyAllResult extends Omit<VerifyResult, 'starts_at_seq' | 'head_hash' | 'head_seq'> {
  chains: number;
  /** Per chain (platform first): the newest row and the row count. Record these outside the database. */
  heads: ChainHead[];
  /** Recorded heads checked (when given) and the truncations found against them. */
  expected_checked?: number;
  truncated?: Truncation[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Every chain in turn (platform first). `first_broken_*` names the first
 * broken row; every chain is still walked, so `heads` lists them all. With
 * recorded heads, each must still be in its chain with the same hash: a
 * chain that ends before it lost its newest rows, a chain that is gone was
 * deleted (unless the platform chain records the tenant's purge), and a
 * recorded seq before the chain's retention start is explained by that cut.
 */
export async function verifyAllChains(source: ChainsSource, opts: VerifyOptions, expected?: ExpectedHead[]): Promise<VerifyAllResult> {
  const chains = await source.chains();
  let checked = 0;
  let firstBroken: Partial<VerifyAllResult> | null = null;
  const heads: ChainHead[] = [];
  const starts = new Map<string, string | undefined>();
  for (const chain of chains) {
    const name = chain ?? 'platform';
    const r = await verifyChain(
      { page: (after, limit) => source.page(chain, after, limit), retentionExplains: (seq, prev) => source.retentionExplains(chain, seq, prev) },
      { ...opts, chain: name },
    );
    checked += r.checked;
    starts.set(name, r.starts_at_seq);
    if (!r.valid) {
      firstBroken ??= { first_broken_id: r.first_broken_id, first_broken_seq: r.first_broken_seq, reason: r.reason, chain: name };
      continue;
    }
    if (r.head_seq && r.head_hash) heads.push({ chain: name, seq: r.head_seq, hash: r.head_hash, rows: r.checked });
  }
  const truncated: Truncation[] = [];
  for (const e of expected ?? []) {
    const chain = e.chain === 'platform' ? null : e.chain;
    const cut = (reason: string) => truncated.push({ chain: e.chain, recorded_seq: String(e.seq), recorded_hash: e.hash, reason });
    if ((chain !== null && !UUID.test(chain)) || !/^[1-9][0-9]{0,18}$/.test(String(e.seq))) {
      cut('not a recorded head: chain must be platform or a tenant id, seq a positive integer');
      continue;
    }
    if (!starts.has(e.chain)) {
      if (chain !== null && (await source.purged(chain))) continue;
      cut('the whole chain is gone and no purge of the tenant is recorded');
      continue;
    }
    const hash = await source.hashAt(chain, String(e.seq));
    if (hash === e.hash) continue;
    if (hash !== null) {
      cut('the row at the recorded head has another hash: the chain was rewritten from there');
      continue;
    }
    const start = starts.get(e.chain);
    if (start && BigInt(e.seq) < BigInt(start)) continue; // removed by a recorded retention cut
    const head = heads.find((h) => h.chain === e.chain);
    cut(`the newest rows were deleted: the chain ends at seq ${head?.seq ?? '?'}, the recorded head is seq ${e.seq}`);
  }
  return {
    valid: !firstBroken && !truncated.length,
    checked,
    chains: chains.length,
    ...(firstBroken ?? {}),
    heads,
    ...(expected ? { expected_checked: expected.length, truncated } : {}),
  };
}
