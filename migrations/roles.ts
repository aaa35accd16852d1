/**
 * CREATE ROLE that tolerates a concurrent creator. Roles belong to the whole
 * cluster, not to a database, so two fresh databases migrating at once (test
 * runs, replicas starting together) both see no role; the second CREATE then
 * waits for the first transaction and fails with unique_violation when it
 * commits (duplicate_object when it had already committed). Either way the
 * role exists, which is all the migration needs.
 */
export function createRoleIfMissingSql(role: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(role)) throw new Error(`not a plain role name: ${role}`);
  return `DO $$ BEGIN
      CREATE ROLE ${role} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`;
}
