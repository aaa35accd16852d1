import { Injectable } from '@nestjs/common';
import type { Db } from '../database/database.service';

export interface UsageRow {
  tenantId: string;
  kbId: string | null;
  apiKeyId: string | null;
  provider: string;
  model: string;
  kind: string;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  executionMode: 'hosted' | 'byo_key';
  createdAt: Date;
}

export interface UsageTotals {
  calls: number;
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  cost_usd: number;
  hosted_cost_usd: number;
  byo_key_cost_usd: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const COLUMNS = 11;

function totals(r: Record<string, string | number | null>): UsageTotals {
  const input = Number(r.input_tokens ?? 0);
  const output = Number(r.output_tokens ?? 0);
  return {
    calls: Number(r.calls ?? 0),
    input_tokens: input,
    output_tokens: output,
    total_tokens: input + output,
    cost_usd: Number(r.cost_usd ?? 0),
    hosted_cost_usd: Number(r.hosted_cost_usd ?? 0),
    byo_key_cost_usd: Number(r.byo_key_cost_usd ?? 0),
  };
}

const SUMS = `count(*)::int AS calls,
  COALESCE(sum(input_tokens), 0)::bigint AS input_tokens,
  COALESCE(sum(output_tokens), 0)::bigint AS output_tokens,
  COALESCE(sum(cost_usd), 0)::float8 AS cost_usd,
  COALESCE(sum(cost_usd) FILTER (WHERE execution_mode = 'hosted'), 0)::float8 AS hosted_cost_usd,
  COALESCE(sum(cost_usd) FILTER (WHERE execution_mode = 'byo_key'), 0)::float8 AS byo_key_cost_usd`;

/** SQL for usage_events. Inserts run under the platform role (a batch spans tenants); reads under the tenant's. */
@Injectable()
export class UsageRepository {
  async insertMany(db: Db, rows: UsageRow[]): Promise<void> {
    if (!rows.length) return;
    const params: unknown[] = [];
    const tuples = rows.map((r, i) => {
      params.push(
        r.tenantId,
        r.kbId && UUID.test(r.kbId) ? r.kbId : null,
        r.apiKeyId && UUID.test(r.apiKeyId) ? r.apiKeyId : null,
        r.provider,
        r.model,
        r.kind,
        r.inputTokens,
        r.outputTokens,
        r.costUsd,
        r.executionMode,
        r.createdAt,
      );
      const base = i * COLUMNS;
      return `(${Array.from({ length: COLUMNS }, (_, j) => `$${base + j + 1}`).join(', ')})`;
    });
    await db.query(
      `INSERT INTO usage_events (tenant_id, kb_id, api_key_id, provider, model, kind, input_tokens, output_tokens, cost_usd, execution_mode, created_at)
       VALUES ${tuples.join(', ')}`,
      params,
    );
  }

  /** Month-to-date tokens (every mode) and hosted cost (a tenant's own key is billed to the tenant by its provider). */
  async monthToDate(db: Db, tenantId: string, monthStart: Date): Promise<{ tokens: number; hostedCostUsd: number }> {
    const rows = await db.query(
      `SELECT COALESCE(sum(input_tokens + output_tokens), 0)::bigint AS tokens,
              COALESCE(sum(cost_usd) FILTER (WHERE execution_mode = 'hosted'), 0)::float8 AS hosted_cost
         FROM usage_events WHERE tenant_id = $1 AND created_at >= $2`,
      [tenantId, monthStart],
    );
    return { tokens: Number(rows[0]?.tokens ?? 0), hostedCostUsd: Number(rows[0]?.hosted_cost ?? 0) };
  }

  async aggregate(db: Db, tenantId: string, since: Date, until: Date) {
    const where = `WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3`;
    const p = [tenantId, since, until];
    const [total] = await db.query(`SELECT ${SUMS} FROM usage_events ${where}`, p);
    const byDay = await db.query(
      `SELECT to_char(date_trunc('day', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day, ${SUMS}
         FROM usage_events ${where} GROUP BY 1 ORDER BY 1`,
      p,
    );
    const byModel = await db.query(
      `SELECT provider, model, execution_mode, ${SUMS} FROM usage_events ${where} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      p,
    );
    const byKb = await db.query(`SELECT kb_id, ${SUMS} FROM usage_events ${where} GROUP BY 1 ORDER BY 1 NULLS LAST`, p);
    return {
      totals: totals(total ?? {}),
      by_day: byDay.map((r: Record<string, string>) => ({ day: r.day, ...totals(r) })),
      by_model: byModel.map((r: Record<string, string>) => ({ provider: r.provider, model: r.model, execution_mode: r.execution_mode, ...totals(r) })),
      by_kb: byKb.map((r: Record<string, string | null>) => ({ kb_id: r.kb_id, ...totals(r) })),
    };
  }

  async tenantLimits(db: Db, tenantId: string): Promise<{ monthly_token_limit?: number; monthly_cost_limit_usd?: number } | null> {
    const rows = await db.query(`SELECT settings -> 'limits' AS limits FROM tenants WHERE id = $1`, [tenantId]);
    return rows[0]?.limits ?? null;
  }
}
