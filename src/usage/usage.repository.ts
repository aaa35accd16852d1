import { Injectable } from '@nestjs/common';
import type { Db } from '../database/db';

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

/** The SUMS columns as the driver returns them (bigint arrives as a string). */
interface SumsRow {
  calls: number | string | null;
  input_tokens: number | string | null;
  output_tokens: number | string | null;
  cost_usd: number | string | null;
  hosted_cost_usd: number | string | null;
  byo_key_cost_usd: number | string | null;
}

export interface UsageReport {
  totals: UsageTotals;
  by_day: Array<{ day: string } & UsageTotals>;
  by_model: Array<{ provider: string; model: string; execution_mode: 'hosted' | 'byo_key' } & UsageTotals>;
  by_kb: Array<{ kb_id: string | null } & UsageTotals>;
  /** By the API key that made the call; null for calls made with a user's token or by ingestion without a key. */
  by_api_key: Array<{ api_key_id: string | null } & UsageTotals>;
}

/** settings.limits of a tenant, as far as the monthly model budget reads it. */
export interface MonthlyLimits {
  monthly_token_limit?: unknown;
  monthly_cost_limit_usd?: unknown;
}

function totals(r: Partial<SumsRow>): UsageTotals {
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
    await db.exec(
      `INSERT INTO usage_events (tenant_id, kb_id, api_key_id, provider, model, kind, input_tokens, output_tokens, cost_usd, execution_mode, created_at)
       VALUES ${tuples.join(', ')}`,
      params,
    );
  }

  /** Month-to-date tokens (every mode) and hosted cost (a tenant's own key is billed to the tenant by its provider). */
  async monthToDate(db: Db, tenantId: string, monthStart: Date): Promise<{ tokens: number; hostedCostUsd: number }> {
    const row = await db.one<{ tokens: number | string; hosted_cost: number | string }>(
      `SELECT COALESCE(sum(input_tokens + output_tokens), 0)::bigint AS tokens,
              COALESCE(sum(cost_usd) FILTER (WHERE execution_mode = 'hosted'), 0)::float8 AS hosted_cost
         FROM usage_events WHERE tenant_id = $1 AND created_at >= $2`,
      [tenantId, monthStart],
    );
    return { tokens: Number(row?.tokens ?? 0), hostedCostUsd: Number(row?.hosted_cost ?? 0) };
  }

  async aggregate(db: Db, tenantId: string, since: Date, until: Date): Promise<UsageReport> {
    const where = `WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3`;
    const p = [tenantId, since, until];
    const total = await db.one<SumsRow>(`SELECT ${SUMS} FROM usage_events ${where}`, p);
    const byDay = await db.many<SumsRow & { day: string }>(
      `SELECT to_char(date_trunc('day', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day, ${SUMS}
         FROM usage_events ${where} GROUP BY 1 ORDER BY 1`,
      p,
    );
    const byModel = await db.many<SumsRow & { provider: string; model: string; execution_mode: 'hosted' | 'byo_key' }>(
      `SELECT provider, model, execution_mode, ${SUMS} FROM usage_events ${where} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      p,
    );
    const byKb = await db.many<SumsRow & { kb_id: string | null }>(`SELECT kb_id, ${SUMS} FROM usage_events ${where} GROUP BY 1 ORDER BY 1 NULLS LAST`, p);
    const byKey = await db.many<SumsRow & { api_key_id: string | null }>(`SELECT api_key_id, ${SUMS} FROM usage_events ${where} GROUP BY 1 ORDER BY 1 NULLS LAST`, p);
    return {
      totals: totals(total ?? {}),
      by_day: byDay.map((r) => ({ day: r.day, ...totals(r) })),
      by_model: byModel.map((r) => ({ provider: r.provider, model: r.model, execution_mode: r.execution_mode, ...totals(r) })),
      by_kb: byKb.map((r) => ({ kb_id: r.kb_id, ...totals(r) })),
      by_api_key: byKey.map((r) => ({ api_key_id: r.api_key_id, ...totals(r) })),
    };
  }

  /** settings.limits of the tenant (null when unset or the tenant is gone); values are checked by the caller. */
  async tenantLimits(db: Db, tenantId: string): Promise<MonthlyLimits | null> {
    const row = await db.one<{ limits: MonthlyLimits | null }>(`SELECT settings -> 'limits' AS limits FROM tenants WHERE id = $1`, [tenantId]);
    return row?.limits ?? null;
  }
}
