import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Operations: the tamper-evident audit log, usage events (seed 003) and the
 * tenants' own LLM keys (encrypted). Same RLS pattern as migration 1: tenant
 * policies for strata_app, a full-access policy for strata_platform.
 *
 * audit_log is append-only for both app roles (INSERT and SELECT only). Rows
 * leave it in two ways only: retention, run by the table owner (the connecting
 * user), which gets SELECT/DELETE policies here because FORCE ROW LEVEL
 * SECURITY applies to the owner too (a superuser bypasses RLS anyway); and a
 * tenant purge, through ON DELETE CASCADE (referential actions run as the
 * table owner), which removes that tenant's chain as a whole.
 */
export class Operations1732600000000 implements MigrationInterface {
  name = 'Operations1732600000000';

  async up(q: QueryRunner): Promise<void> {
    // One hash chain per tenant (tenant_id) plus the platform chain (tenant_id NULL);
    // seq is the position in its chain. A purge cascades the tenant's whole
    // chain away and leaves every other chain intact.
    await q.query(`CREATE TABLE audit_log (
      id uuid PRIMARY KEY,
      tenant_id uuid REFERENCES tenants(id) ON DELETE CASCADE,
      seq bigint NOT NULL,
      kb_id uuid,
      actor text NOT NULL,
      action text NOT NULL,
      resource_id text,
      outcome text NOT NULL CHECK (outcome IN ('success', 'denied', 'failed')),
      http_status int,
      request_id text,
      client_ip text,
      details jsonb NOT NULL DEFAULT '{}'::jsonb,
      created_at timestamptz NOT NULL,
      prev_hash text NOT NULL,
      hash text NOT NULL
    )`);
    await q.query(`CREATE UNIQUE INDEX audit_log_chain_seq_key ON audit_log ((COALESCE(tenant_id, '00000000-0000-0000-0000-000000000000'::uuid)), seq)`);
    await q.query(`CREATE INDEX audit_log_tenant_seq_idx ON audit_log (tenant_id, seq)`);
    await q.query(`CREATE INDEX audit_log_created_idx ON audit_log (created_at)`);
    await q.query(`ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY`);
    // Tenant rows only; rows with tenant_id NULL (platform actions) are visible to strata_platform alone.
    await q.query(`CREATE POLICY tenant_isolation ON audit_log TO strata_app
      USING (tenant_id = strata_current_tenant()) WITH CHECK (tenant_id = strata_current_tenant())`);
    await q.query(`CREATE POLICY platform_access ON audit_log TO strata_platform USING (true) WITH CHECK (true)`);
    await q.query(`DO $$ BEGIN
      EXECUTE format('CREATE POLICY owner_retention_read ON audit_log FOR SELECT TO %I USING (true)', current_user);
      EXECUTE format('CREATE POLICY owner_retention_delete ON audit_log FOR DELETE TO %I USING (true)', current_user);
    END $$`);
    await q.query(`GRANT SELECT, INSERT ON audit_log TO strata_app, strata_platform`);

    await q.query(`CREATE TABLE usage_events (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
      kb_id uuid,
      api_key_id uuid,
      provider text NOT NULL,
      model text NOT NULL,
      kind text NOT NULL,
      input_tokens integer NOT NULL CHECK (input_tokens >= 0),
      output_tokens integer NOT NULL CHECK (output_tokens >= 0),
      cost_usd numeric(18, 8) NOT NULL DEFAULT 0,
      execution_mode text NOT NULL CHECK (execution_mode IN ('hosted', 'byo_key')),
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX usage_events_tenant_time_idx ON usage_events (tenant_id, created_at)`);

    await q.query(`CREATE TABLE tenant_llm_keys (
      tenant_id uuid PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
      ciphertext text NOT NULL,
      key_suffix text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);

    for (const table of ['usage_events', 'tenant_llm_keys']) {
      await q.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY`);
      await q.query(`CREATE POLICY tenant_isolation ON ${table} TO strata_app
        USING (tenant_id = strata_current_tenant()) WITH CHECK (tenant_id = strata_current_tenant())`);
      await q.query(`CREATE POLICY platform_access ON ${table} TO strata_platform USING (true) WITH CHECK (true)`);
    }
    await q.query(`GRANT SELECT, INSERT ON usage_events TO strata_app, strata_platform`);
    await q.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON tenant_llm_keys TO strata_app, strata_platform`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS tenant_llm_keys, usage_events, audit_log CASCADE`);
  }
}
