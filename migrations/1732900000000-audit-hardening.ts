import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Audit hardening (issue 11).
 *
 * - hash_version: 1 = the old unkeyed sha256 rows (kept verifiable), 2 = rows
 *   sealed with HMAC-SHA256 under a key derived outside the database.
 * - The app roles lose INSERT on audit_log. New rows enter only through
 *   strata_audit_append(), SECURITY DEFINER and owned by the migrating
 *   (privileged) role: under the chain's advisory lock it checks that each row
 *   continues the chain (seq = head + 1, prev_hash = head hash), forces
 *   hash_version 2 and the tenant of the chain. The app computes the HMAC in
 *   Node over the row including that link; someone holding only the database
 *   credentials can call the function, but cannot produce the MAC, so verify
 *   flags the row.
 * - strata_audit_cut(): retention's prefix deletion, for strata_platform, so
 *   the app needs no owner connection. A cut is accepted by verify only when a
 *   keyed `audit.retention` entry records it.
 */
export class AuditHardening1732900000000 implements MigrationInterface {
  name = 'AuditHardening1732900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_log ADD COLUMN hash_version smallint NOT NULL DEFAULT 1`);
    await q.query(`ALTER TABLE audit_log ALTER COLUMN hash_version SET DEFAULT 2`);
    await q.query(`REVOKE INSERT ON audit_log FROM strata_app, strata_platform`);
    // The functions run as the table owner, whom FORCE ROW LEVEL SECURITY binds too (unless superuser).
    await q.query(`DO $$ BEGIN
      EXECUTE format('CREATE POLICY owner_append ON audit_log FOR INSERT TO %I WITH CHECK (true)', current_user);
    END $$`);
    await q.query(`CREATE FUNCTION strata_audit_append(p_tenant uuid, p_rows jsonb) RETURNS bigint
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $fn$
      DECLARE
        head_seq bigint;
        head_hash text;
        r jsonb;
        x audit_log;
      BEGIN
        IF jsonb_typeof(p_rows) <> 'array' THEN RAISE EXCEPTION 'strata_audit_append: rows must be an array' USING ERRCODE = '22023'; END IF;
        PERFORM pg_advisory_xact_lock(8151, hashtext(COALESCE(p_tenant::text, 'platform')));
        IF p_tenant IS NULL THEN
          SELECT a.seq, a.hash INTO head_seq, head_hash FROM audit_log a WHERE a.tenant_id IS NULL ORDER BY a.seq DESC LIMIT 1;
        ELSE
          SELECT a.seq, a.hash INTO head_seq, head_hash FROM audit_log a WHERE a.tenant_id = p_tenant ORDER BY a.seq DESC LIMIT 1;
        END IF;
        head_seq := COALESCE(head_seq, 0);
        head_hash := COALESCE(head_hash, repeat('0', 64));
        FOR r IN SELECT value FROM jsonb_array_elements(p_rows) LOOP
          x := jsonb_populate_record(NULL::audit_log, r);
          IF x.seq IS DISTINCT FROM head_seq + 1 OR x.prev_hash IS DISTINCT FROM head_hash THEN
            RAISE EXCEPTION 'strata_audit_append: row does not continue the chain (head seq %)', head_seq USING ERRCODE = '40001';
          END IF;
          IF x.hash IS NULL OR x.hash !~ '^[0-9a-f]{64}$' THEN
            RAISE EXCEPTION 'strata_audit_append: malformed hash' USING ERRCODE = '22023';
          END IF;
          INSERT INTO audit_log (id, tenant_id, seq, kb_id, actor, action, resource_id, outcome, http_status, request_id, client_ip, details, created_at, prev_hash, hash, hash_version)
          VALUES (x.id, p_tenant, x.seq, x.kb_id, x.actor, x.action, x.resource_id, x.outcome, x.http_status, x.request_id, x.client_ip, COALESCE(x.details, '{}'::jsonb), x.created_at, x.prev_hash, x.hash, 2);
          head_seq := x.seq;
          head_hash := x.hash;
        END LOOP;
        RETURN head_seq;
      END $fn$`);
    await q.query(`CREATE FUNCTION strata_audit_cut(p_tenant uuid, p_through_seq bigint) RETURNS integer
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $fn$
      DECLARE n integer;
      BEGIN
        PERFORM pg_advisory_xact_lock(8151, hashtext(COALESCE(p_tenant::text, 'platform')));
        DELETE FROM audit_log WHERE tenant_id IS NOT DISTINCT FROM p_tenant AND seq <= p_through_seq;
        GET DIAGNOSTICS n = ROW_COUNT;
        RETURN n;
      END $fn$`);
    await q.query(`REVOKE ALL ON FUNCTION strata_audit_append(uuid, jsonb), strata_audit_cut(uuid, bigint) FROM PUBLIC`);
    await q.query(`GRANT EXECUTE ON FUNCTION strata_audit_append(uuid, jsonb) TO strata_app, strata_platform`);
    await q.query(`GRANT EXECUTE ON FUNCTION strata_audit_cut(uuid, bigint) TO strata_platform`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS strata_audit_append(uuid, jsonb), strata_audit_cut(uuid, bigint)`);
    await q.query(`DO $$ BEGIN EXECUTE format('DROP POLICY IF EXISTS owner_append ON audit_log'); END $$`);
    await q.query(`GRANT INSERT ON audit_log TO strata_app, strata_platform`);
    await q.query(`ALTER TABLE audit_log DROP COLUMN hash_version`);
  }
}
