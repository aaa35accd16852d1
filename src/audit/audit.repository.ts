import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Db } from '../database/database.service';
import { AuditRow, auditSafe, ChainsSource, GENESIS_HASH, LEGACY_CUTOVER_SETTING, LegacyCutover, sealAuditRow, sealCutover } from './audit-chain';

/** What callers hand in; seq, id and the hashes are assigned when the batch is appended. */
export interface AuditEntry {
  tenantId: string | null;
  kbId: string | null;
  actor: string;
  action: string;
  resourceId: string | null;
  outcome: 'success' | 'denied' | 'failed';
  httpStatus: number | null;
  requestId: string | null;
  clientIp: string | null;
  details: Record<string, unknown>;
  createdAt: Date;
}

export interface AuditFilter {
  action?: string;
  actor?: string;
  since?: Date;
  until?: Date;
  limit: number;
  offset: number;
}

/** Advisory lock class of the audit chains; the key is the chain's hash. */
const CHAIN_LOCK_CLASS = 8151;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SELECT_ROW = `SELECT id, tenant_id, seq::text AS seq, kb_id, actor, action, resource_id, outcome, http_status, request_id, client_ip, details, created_at, prev_hash, hash, hash_version FROM audit_log`;

/** The chain an entry belongs to: its tenant, or the platform chain. */
export type ChainKey = string | null;
export const chainName = (chain: ChainKey): string => chain ?? 'platform';

function uuidOrNull(v: string | null): string | null {
  return v && UUID.test(v) ? v : null;
}

/** The chain an entry is appended to (appendBatch): its tenant's, or the platform's when it names none (or no valid id). */
export const chainOf = (e: Pick<AuditEntry, 'tenantId'>): string => chainName(uuidOrNull(e.tenantId));

/** SQL for audit_log. Appends run under the platform role; tenant reads under the tenant's (RLS). */
@Injectable()
export class AuditRepository {
  /**
   * Appends entries to their chains (one per tenant, one for the platform),
   * sealed with `key`. Per chain, in a fixed order: the chain's advisory lock
   * (serialises writers across processes), the head read under it, the rows
   * sealed here with HMAC over their content and link (seq, prev_hash), then
   * strata_audit_append(), which takes the same lock, checks that the rows
   * continue the head it sees and inserts them — the app roles cannot insert
   * into audit_log any other way.
   */
  async appendBatch(db: Db, key: Buffer, entries: AuditEntry[]): Promise<AuditRow[]> {
    const byChain = new Map<string, AuditEntry[]>();
    for (const e of entries) {
      const k = chainOf(e);
      byChain.set(k, [...(byChain.get(k) ?? []), e]);
    }
    const out: AuditRow[] = [];
    for (const k of [...byChain.keys()].sort()) out.push(...(await this.appendToChain(db, key, k === 'platform' ? null : k, byChain.get(k)!)));
    return out;
  }

  private async appendToChain(db: Db, key: Buffer, chain: ChainKey, entries: AuditEntry[]): Promise<AuditRow[]> {
    await db.exec(`SELECT pg_advisory_xact_lock($1, hashtext($2))`, [CHAIN_LOCK_CLASS, chainName(chain)]);
    const last = await db.one<{ seq: string; hash: string }>(
      chain === null
        ? `SELECT seq::text AS seq, hash FROM audit_log WHERE tenant_id IS NULL ORDER BY audit_log.seq DESC LIMIT 1`
        : `SELECT seq::text AS seq, hash FROM audit_log WHERE tenant_id = $1 ORDER BY audit_log.seq DESC LIMIT 1`,
      chain === null ? [] : [chain],
    );
    let seq = BigInt(last?.seq ?? 0);
    let prevHash: string = last?.hash ?? GENESIS_HASH;
    const rows: AuditRow[] = entries.map((e) => {
      seq += 1n;
      const row: Omit<AuditRow, 'hash'> = auditSafe({
        seq: seq.toString(),
        id: randomUUID(),
        tenant_id: chain,
        kb_id: uuidOrNull(e.kbId),
        actor: e.actor.slice(0, 200),
        action: e.action.slice(0, 100),
        resource_id: e.resourceId ? e.resourceId.slice(0, 200) : null,
        outcome: e.outcome,
        http_status: e.httpStatus,
        request_id: e.requestId ? e.requestId.slice(0, 128) : null,
        client_ip: e.clientIp ? e.clientIp.slice(0, 64) : null,
        details: e.details ?? {},
        created_at: e.createdAt,
        prev_hash: prevHash,
        hash_version: 2,
      });
      const full: AuditRow = { ...row, hash: sealAuditRow(key, row) };
      prevHash = full.hash;
      return full;
    });
    await db.exec(`SELECT strata_audit_append($1::uuid, $2::jsonb)`, [chain, JSON.stringify(rows)]);
    return rows;
  }

  /** Every chain that has rows: the platform chain (null) and each tenant's. */
  async chains(db: Db): Promise<ChainKey[]> {
    const rows = await db.many<{ tenant_id: string | null }>(`SELECT DISTINCT tenant_id FROM audit_log ORDER BY tenant_id NULLS FIRST`);
    return rows.map((r) => r.tenant_id);
  }

  async page(db: Db, chain: ChainKey, afterSeq: string | null, limit: number): Promise<AuditRow[]> {
    return chain === null
      ? db.many<AuditRow>(`${SELECT_ROW} WHERE tenant_id IS NULL AND ($1::bigint IS NULL OR seq > $1::bigint) ORDER BY audit_log.seq LIMIT $2`, [afterSeq, limit])
      : db.many<AuditRow>(`${SELECT_ROW} WHERE tenant_id = $3 AND ($1::bigint IS NULL OR seq > $1::bigint) ORDER BY audit_log.seq LIMIT $2`, [afterSeq, limit, chain]);
  }

  async hashAt(db: Db, chain: ChainKey, seq: string): Promise<string | null> {
    const row = await db.one<{ hash: string }>(`SELECT hash FROM audit_log WHERE tenant_id IS NOT DISTINCT FROM $1::uuid AND seq = $2::bigint`, [chain, seq]);
    return row?.hash ?? null;
  }

  async purged(db: Db, tenantId: string): Promise<boolean> {
    const rows = await db.many(
      `SELECT 1 FROM audit_log WHERE tenant_id IS NULL AND action = 'tenant.delete' AND outcome = 'success' AND resource_id = $1
          AND NOT EXISTS (SELECT 1 FROM tenants WHERE id = $1::uuid) LIMIT 1`,
      [tenantId],
    );
    return rows.length > 0;
  }

  /** The sealed cut-over of the unkeyed rows (platform_settings), raw. */
  async cutover(db: Db): Promise<string | null> {
    const row = await db.one<{ value: string }>(`SELECT value FROM platform_settings WHERE key = $1`, [LEGACY_CUTOVER_SETTING]);
    return row?.value ?? null;
  }

  /**
   * Seals the unkeyed rows once: when some chain holds version 1 rows and no
   * chain holds a keyed row yet (the first start after the upgrade), records
   * each chain's last unkeyed row under the key. Returns whether it sealed.
   */
  async sealLegacy(db: Db, key: Buffer): Promise<boolean> {
    if (await this.cutover(db)) return false;
    const state = await db.one<{ keyed: boolean; legacy: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM audit_log WHERE hash_version = 2) AS keyed, EXISTS (SELECT 1 FROM audit_log WHERE hash_version = 1) AS legacy`,
    );
    if (!state?.legacy || state.keyed) return false;
    const heads = await db.many<{ tenant_id: string | null; seq: string; hash: string }>(
      `SELECT DISTINCT ON (tenant_id) tenant_id, seq::text AS seq, hash FROM audit_log ORDER BY tenant_id, seq DESC`,
    );
    const chains: LegacyCutover = {};
    for (const h of heads) chains[chainName(h.tenant_id)] = { seq: h.seq, hash: h.hash };
    await db.exec(`INSERT INTO platform_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, [LEGACY_CUTOVER_SETTING, sealCutover(key, chains)]);
    return true;
  }

  /** Whether the platform chain records a retention cut of `chain` starting at `seq` after `prevHash`. */
  async retentionExplains(db: Db, chain: ChainKey, seq: string, prevHash: string): Promise<boolean> {
    const rows = await db.many(
      `SELECT 1 FROM audit_log WHERE tenant_id IS NULL AND action = 'audit.retention'
          AND details ->> 'chain' = $1 AND details ->> 'kept_from_seq' = $2 AND details ->> 'kept_from_prev_hash' = $3 LIMIT 1`,
      [chainName(chain), seq, prevHash],
    );
    return rows.length > 0;
  }

  async listForTenant(db: Db, tenantId: string, f: AuditFilter): Promise<{ rows: AuditRow[]; total: number }> {
    const where = [`tenant_id = $1`];
    const params: unknown[] = [tenantId];
    if (f.action) {
      params.push(f.action);
      where.push(`action = $${params.length}`);
    }
    if (f.actor) {
      params.push(f.actor);
      where.push(`actor = $${params.length}`);
    }
    if (f.since) {
      params.push(f.since);
      where.push(`created_at >= $${params.length}`);
    }
    if (f.until) {
      params.push(f.until);
      where.push(`created_at < $${params.length}`);
    }
    const w = where.join(' AND ');
    const count = await db.one<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE ${w}`, params);
    // The page starts at the seq `offset` matches below the newest: the skipped rows are stepped over on
    // the (tenant_id, seq) index, reading seq alone, instead of being built in full and dropped by OFFSET
    // (a far page of a long chain cost every skipped row's columns, its JSON details included).
    const rows = await db.many<AuditRow>(
      `SELECT seq::text AS seq, id, tenant_id, kb_id, actor, action, resource_id, outcome, http_status, request_id, client_ip, details, created_at, prev_hash, hash
         FROM audit_log
        WHERE ${w} AND seq <= (SELECT seq FROM audit_log WHERE ${w} ORDER BY seq DESC OFFSET $${params.length + 1} LIMIT 1)
        ORDER BY audit_log.seq DESC LIMIT $${params.length + 2}`,
      [...params, f.offset, f.limit],
    );
    return { rows, total: count?.n ?? 0 };
  }

  /**
   * Retention, as strata_platform through strata_audit_cut() (the app roles
   * hold no DELETE grant): in each chain, removes the oldest prefix — every
   * row up to the last one before the first row newer than the cutoff — and
   * returns where each chain now starts, for the keyed audit entries that
   * record the cuts (without one, verify flags the cut).
   */
  async deletePrefixesOlderThan(db: Db, cutoff: Date): Promise<Array<{ chain: ChainKey; deleted: number; keptFromSeq: string; keptFromPrevHash: string }>> {
    const cuts: Array<{ chain: ChainKey; deleted: number; keptFromSeq: string; keptFromPrevHash: string }> = [];
    const chains = await db.many<{ tenant_id: string | null }>(`SELECT DISTINCT tenant_id FROM audit_log WHERE created_at < $1`, [cutoff]);
    for (const chain of chains.map((c) => c.tenant_id).sort((a, b) => chainName(a).localeCompare(chainName(b)))) {
      await db.exec(`SELECT pg_advisory_xact_lock($1, hashtext($2))`, [CHAIN_LOCK_CLASS, chainName(chain)]);
      // Retention is rare: IS NOT DISTINCT FROM keeps one statement shape for the platform chain and tenant chains.
      const inChain = `tenant_id IS NOT DISTINCT FROM $2::uuid`;
      const edge = await db.one<{ last_deleted: string | null }>(
        `SELECT COALESCE((SELECT min(seq) FROM audit_log WHERE ${inChain} AND created_at >= $1) - 1, (SELECT max(seq) FROM audit_log WHERE ${inChain}))::text AS last_deleted`,
        [cutoff, chain],
      );
      if (!edge?.last_deleted || edge.last_deleted === '0') continue;
      const last = await this.hashAt(db, chain, edge.last_deleted);
      if (!last) continue;
      const gone = await db.one<{ n: number | string }>(`SELECT strata_audit_cut($1::uuid, $2::bigint) AS n`, [chain, edge.last_deleted]);
      const deleted = Number(gone?.n ?? 0);
      if (deleted) cuts.push({ chain, deleted, keptFromSeq: (BigInt(edge.last_deleted) + 1n).toString(), keptFromPrevHash: last });
    }
    return cuts;
  }

  /** verifyAllChains' view of the table, each call in its own platform transaction (`run`). */
  source(run: <T>(work: (db: Db) => Promise<T>) => Promise<T>): ChainsSource {
    return {
      chains: () => run((db) => this.chains(db)),
      page: (chain, after, limit) => run((db) => this.page(db, chain, after, limit)),
      retentionExplains: (chain, seq, prev) => run((db) => this.retentionExplains(db, chain, seq, prev)),
      hashAt: (chain, seq) => run((db) => this.hashAt(db, chain, seq)),
      purged: (tenantId) => run((db) => this.purged(db, tenantId)),
    };
  }
}
