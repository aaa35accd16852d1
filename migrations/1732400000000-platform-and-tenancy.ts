import { MigrationInterface, QueryRunner } from 'typeorm';
import { createRoleIfMissingSql } from './roles';

/**
 * Tenancy schema and the row-level-security wall.
 *
 * Roles: strata_app (tenant work; sees one tenant's rows through the policies)
 * and strata_platform (platform-wide work). Neither is superuser nor owner, and
 * FORCE ROW LEVEL SECURITY makes the owner obey the policies too.
 */
export class PlatformAndTenancy1732400000000 implements MigrationInterface {
  name = 'PlatformAndTenancy1732400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS vector`);
    // Race-safe (roles are cluster-wide; see roles.ts). This replaced an IF NOT EXISTS
    // check with the same effect that failed when two databases migrated at once.
    await q.query(createRoleIfMissingSql('strata_app'));
    await q.query(createRoleIfMissingSql('strata_platform'));
    // The connecting user must be able to SET ROLE to both (a no-op for superusers).
    await q.query(`DO $$ BEGIN
      EXECUTE format('GRANT strata_app TO %I', current_user);
      EXECUTE format('GRANT strata_platform TO %I', current_user);
    EXCEPTION WHEN others THEN NULL; END $$`);
    await q.query(`GRANT USAGE ON SCHEMA public TO strata_app, strata_platform`);

    // The tenant a transaction works for; NULL when unset, so policies match nothing.
    await q.query(`CREATE OR REPLACE FUNCTION strata_current_tenant() RETURNS uuid
      LANGUAGE sql STABLE AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid $$`);

    await q.query(`CREATE TABLE platform_settings (
      key text PRIMARY KEY,
      value text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`GRANT SELECT, INSERT ON platform_settings TO strata_platform`);

    await q.query(`CREATE TABLE tenants (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      slug text NOT NULL,
      name text NOT NULL,
      description text,
      tier text NOT NULL DEFAULT 'standard' CHECK (tier IN ('trial', 'standard', 'premium', 'enterprise')),
      is_active boolean NOT NULL DEFAULT true,
      settings jsonb NOT NULL DEFAULT '{}'::jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      deleted_at timestamptz
    )`);
    await q.query(`CREATE UNIQUE INDEX tenants_slug_key ON tenants (slug)`);

    await q.query(`CREATE TABLE knowledge_bases (
      id uuid NOT NULL DEFAULT gen_random_uuid(),
      tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
      name text NOT NULL,
      description text,
      config jsonb NOT NULL DEFAULT '{}'::jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (id),
      UNIQUE (tenant_id, id)
    )`);
    await q.query(`CREATE UNIQUE INDEX knowledge_bases_tenant_name_key ON knowledge_bases (tenant_id, lower(name))`);

    await q.query(`CREATE TABLE users (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      tenant_id uuid REFERENCES tenants(id) ON DELETE CASCADE,
      username text NOT NULL,
      password_hash text NOT NULL,
      role text NOT NULL CHECK (role IN ('admin', 'owner', 'member', 'viewer')),
      is_active boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CHECK ((role = 'admin') = (tenant_id IS NULL))
    )`);
    await q.query(`CREATE UNIQUE INDEX users_username_key ON users (lower(username))`);
    await q.query(`CREATE INDEX users_tenant_idx ON users (tenant_id)`);

    await q.query(`CREATE TABLE api_keys (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
      name text NOT NULL,
      key_prefix text NOT NULL,
      key_hash bytea NOT NULL,
      kb_ids uuid[],
      permissions text[] NOT NULL,
      created_by text NOT NULL,
      expires_at timestamptz,
      revoked_at timestamptz,
      last_used_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE UNIQUE INDEX api_keys_hash_key ON api_keys (key_hash)`);
    await q.query(`CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id, created_at DESC)`);

    // Row-level security: tenant policies for strata_app, a full-access policy for strata_platform.
    await q.query(`ALTER TABLE tenants ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY`);
    await q.query(`CREATE POLICY tenant_isolation ON tenants TO strata_app
      USING (id = strata_current_tenant()) WITH CHECK (id = strata_current_tenant())`);
    await q.query(`CREATE POLICY platform_access ON tenants TO strata_platform USING (true) WITH CHECK (true)`);
    for (const table of ['knowledge_bases', 'users', 'api_keys']) {
      await q.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY`);
      await q.query(`CREATE POLICY tenant_isolation ON ${table} TO strata_app
        USING (tenant_id = strata_current_tenant()) WITH CHECK (tenant_id = strata_current_tenant())`);
      await q.query(`CREATE POLICY platform_access ON ${table} TO strata_platform USING (true) WITH CHECK (true)`);
    }
    await q.query(`GRANT SELECT, UPDATE ON tenants TO strata_app`);
    await q.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON knowledge_bases, users, api_keys TO strata_app`);
    await q.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON tenants, knowledge_bases, users, api_keys TO strata_platform`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS api_keys, users, knowledge_bases, tenants, platform_settings CASCADE`);
    await q.query(`DROP FUNCTION IF EXISTS strata_current_tenant()`);
  }
}
