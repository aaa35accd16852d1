import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Authentication hardening (issue 11):
 *  - users.token_version: every JWT carries the version it was issued at; a
 *    password change bumps it, so tokens issued before the change stop working.
 *  - usernames are unique per tenant (case-insensitive), and platform admins
 *    (tenant_id NULL) have their own namespace: a 409 in one tenant no longer
 *    tells it that a name exists in another tenant or is the admin's.
 *  - strata_platform may DELETE from platform_settings: the server moves the
 *    JWT secret and API-key pepper that older versions stored there into
 *    DATA_DIR/secret.key and deletes the rows.
 */
export class AuthHardening1732800000000 implements MigrationInterface {
  name = 'AuthHardening1732800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ADD COLUMN token_version integer NOT NULL DEFAULT 0`);
    await q.query(`DROP INDEX users_username_key`);
    await q.query(`CREATE UNIQUE INDEX users_tenant_username_key ON users (tenant_id, lower(username)) WHERE tenant_id IS NOT NULL`);
    await q.query(`CREATE UNIQUE INDEX users_admin_username_key ON users (lower(username)) WHERE tenant_id IS NULL`);
    await q.query(`CREATE INDEX users_username_idx ON users (lower(username))`);
    await q.query(`GRANT DELETE ON platform_settings TO strata_platform`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`REVOKE DELETE ON platform_settings FROM strata_platform`);
    await q.query(`DROP INDEX users_username_idx`);
    await q.query(`DROP INDEX users_admin_username_key`);
    await q.query(`DROP INDEX users_tenant_username_key`);
    await q.query(`CREATE UNIQUE INDEX users_username_key ON users (lower(username))`);
    await q.query(`ALTER TABLE users DROP COLUMN token_version`);
  }
}
