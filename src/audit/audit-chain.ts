import { createHash } from 'node:crypto';

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

/** sha256(prev_hash | canonical content): every column but the hash itself. */
export function hashAuditRow(row: Omit<AuditRow, 'hash'>): string {
  const content = canonicalJson([
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
  return createHash('sha256').update(`${row.prev_hash}|${content}`).digest('hex');
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
  /** The newest row's hash: record it elsewhere (a ticket, a log shipper) to anchor the chain's head too. */
  head_hash?: string;
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
 * it without a gap (seq + 1) and hash to its stored hash.
 */
export async function verifyChain(source: ChainSource, pageSize = 1000): Promise<VerifyResult> {
  let checked = 0;
  let prev: AuditRow | null = null;
  let after: string | null = null;
  let start: string | undefined;
  for (;;) {
    const rows = await source.page(after, pageSize);
    if (!rows.length) break;
    for (const row of rows) {
      const broken = (reason: string): VerifyResult => ({ valid: false, checked, first_broken_id: row.id, first_broken_seq: String(row.seq), reason, starts_at_seq: start });
      if (!prev) {
        start = String(row.seq);
        const genesis = String(row.seq) === '1' && row.prev_hash === GENESIS_HASH;
        if (!genesis && !(await source.retentionExplains(String(row.seq), row.prev_hash))) return broken('the oldest row is not the start of the chain and no retention entry records this cut');
      } else {
        if (BigInt(row.seq) !== BigInt(prev.seq) + 1n) return broken(`a row is missing before seq ${row.seq}`);
        if (row.prev_hash !== prev.hash) return broken('prev_hash does not match the previous row');
      }
      if (hashAuditRow(row) !== row.hash) return broken('the row content does not match its hash');
      checked++;
      prev = row;
    }
    after = String(rows[rows.length - 1].seq);
  }
  return { valid: true, checked, ...(start ? { starts_at_seq: start } : {}), ...(prev ? { head_hash: (prev as AuditRow).hash } : {}) };
}

export interface ChainsSource {
  chains(): Promise<Array<string | null>>;
  page(chain: string | null, afterSeq: string | null, limit: number): Promise<AuditRow[]>;
  retentionExplains(chain: string | null, seq: string, prevHash: string): Promise<boolean>;
}

/** Every chain in turn (platform first); the first broken row ends the walk. `checked` counts rows of every chain. */
export async function verifyAllChains(source: ChainsSource): Promise<Omit<VerifyResult, 'starts_at_seq' | 'head_hash'> & { chains: number }> {
  const chains = await source.chains();
  let checked = 0;
  for (const chain of chains) {
    const r = await verifyChain({ page: (after, limit) => source.page(chain, after, limit), retentionExplains: (seq, prev) => source.retentionExplains(chain, seq, prev) });
    checked += r.checked;
    if (!r.valid) return { valid: false, checked, chains: chains.length, first_broken_id: r.first_broken_id, first_broken_seq: r.first_broken_seq, reason: r.reason, chain: chain ?? 'platform' };
  }
  return { valid: true, checked, chains: chains.length };
}
