import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Db } from '../database/database.service';
import { AuditRow, GENESIS_HASH, hashAuditRow } from './audit-chain';

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

/** One lock id for the whole chain: appends (from every replica) and retention take it in turn. */
const CHAIN_LOCK = [8151, 1];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const COLUMNS = 15;

function uuidOrNull(v: string | null): string | null {
  return v && UUID.test(v) ? v : null;
}

/** SQL for audit_log. Appends run under the platform role; tenant reads under the tenant's (RLS). */
@Injectable()
export class AuditRepository {
  /**
   * Appends entries to the chain in one statement. The advisory lock
   * serialises writers across processes, so seq is gap-free and each row's
   * prev_hash is the hash of the row before it.
   */
  async appendBatch(db: Db, entries: AuditEntry[]): Promise<AuditRow[]> {
    if (!entries.length) return [];
    await db.query(`SELECT pg_advisory_xact_lock($1, $2)`, CHAIN_LOCK);
    const [last] = await db.query(`SELECT seq::text AS seq, hash FROM audit_log ORDER BY audit_log.seq DESC LIMIT 1`);
    let seq = BigInt(last?.seq ?? 0);
    let prevHash: string = last?.hash ?? GENESIS_HASH;
    const rows: AuditRow[] = entries.map((e) => {
      seq += 1n;
      const row: Omit<AuditRow, 'hash'> = {
        seq: seq.toString(),
        id: randomUUID(),
        tenant_id: uuidOrNull(e.tenantId),
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
      };
      const full: AuditRow = { ...row, hash: hashAuditRow(row) };
      prevHash = full.hash;
      return full;
    });
    const params: unknown[] = [];
    const tuples = rows.map((r, i) => {
      params.push(r.seq, r.id, r.tenant_id, r.kb_id, r.actor, r.action, r.resource_id, r.outcome, r.http_status, r.request_id, r.client_ip, JSON.stringify(r.details), r.created_at, r.prev_hash, r.hash);
      const b = i * COLUMNS;
      return `(${Array.from({ length: COLUMNS }, (_, j) => `$${b + j + 1}`).join(', ')})`;
    });
    await db.query(
      `INSERT INTO audit_log (seq, id, tenant_id, kb_id, actor, action, resource_id, outcome, http_status, request_id, client_ip, details, created_at, prev_hash, hash)
       VALUES ${tuples.join(', ')}`,
      params,
    );
    return rows;
  }

  async page(db: Db, afterSeq: string | null, limit: number): Promise<AuditRow[]> {
    return db.query(
      `SELECT seq::text AS seq, id, tenant_id, kb_id, actor, action, resource_id, outcome, http_status, request_id, client_ip, details, created_at, prev_hash, hash
         FROM audit_log WHERE ($1::bigint IS NULL OR seq > $1::bigint) ORDER BY audit_log.seq LIMIT $2`,
      [afterSeq, limit],
    );
  }

  async retentionExplains(db: Db, seq: string, prevHash: string): Promise<boolean> {
    const rows = await db.query(
      `SELECT 1 FROM audit_log WHERE action = 'audit.retention' AND details ->> 'kept_from_seq' = $1 AND details ->> 'kept_from_prev_hash' = $2 LIMIT 1`,
      [seq, prevHash],
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
    const [count] = await db.query(`SELECT count(*)::int AS n FROM audit_log WHERE ${w}`, params);
    const rows = await db.query(
      `SELECT seq::text AS seq, id, tenant_id, kb_id, actor, action, resource_id, outcome, http_status, request_id, client_ip, details, created_at, prev_hash, hash
         FROM audit_log WHERE ${w} ORDER BY audit_log.seq DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, f.limit, f.offset],
    );
    return { rows, total: count.n };
  }

  /**
   * Retention, on the table owner's connection (the app roles cannot delete):
   * removes the oldest prefix of the chain — every row up to the last one
   * before the first row newer than the cutoff — and returns where the chain
   * now starts, for the audit entry that records the cut.
   */
  async deletePrefixOlderThan(db: Db, cutoff: Date): Promise<{ deleted: number; keptFromSeq: string; keptFromPrevHash: string } | null> {
    await db.query(`SELECT pg_advisory_xact_lock($1, $2)`, CHAIN_LOCK);
    const [edge] = await db.query(
      `SELECT COALESCE((SELECT min(seq) FROM audit_log WHERE created_at >= $1) - 1, (SELECT max(seq) FROM audit_log))::text AS last_deleted`,
      [cutoff],
    );
    if (!edge?.last_deleted) return null;
    const [last] = await db.query(`SELECT hash FROM audit_log WHERE seq = $1::bigint`, [edge.last_deleted]);
    if (!last) return null;
    const [gone] = await db.query(`WITH gone AS (DELETE FROM audit_log WHERE seq <= $1::bigint RETURNING seq) SELECT count(*)::int AS n FROM gone`, [edge.last_deleted]);
    const count = Number(gone?.n ?? 0);
    if (!count) return null;
    return { deleted: count, keptFromSeq: (BigInt(edge.last_deleted) + 1n).toString(), keptFromPrevHash: last.hash };
  }
}
