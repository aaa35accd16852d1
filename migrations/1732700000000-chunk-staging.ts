import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Where the ingestion worker puts a document's chunks while it is still
 * extracting the rest (ADR 003, "Streaming and big files"): each embedded
 * batch is written here in its own short transaction, so a 20 MB file is not
 * held in the worker's memory until its commit. Nothing reads this table but
 * the worker: queries only see `chunks`, which the document's one commit fills
 * from here (INSERT … SELECT) together with its graph facts.
 *
 * `attempt` is a fresh id per ingestion attempt: a worker presumed dead that
 * is still writing cannot mix its rows into the attempt that replaced it.
 * UNLOGGED: no WAL for rows that live minutes; a crash empties the table,
 * which only means the job (retried anyway) starts over. `embedding` has no
 * dimension and no index; the publish casts it into chunks' vector(dim).
 * Same RLS pattern as the other tenant tables.
 */
export class ChunkStaging1732700000000 implements MigrationInterface {
  name = 'ChunkStaging1732700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE UNLOGGED TABLE chunk_staging (
      tenant_id uuid NOT NULL,
      kb_id uuid NOT NULL,
      document_id uuid NOT NULL,
      attempt uuid NOT NULL,
      chunk_index int NOT NULL,
      content text NOT NULL,
      tokens int NOT NULL,
      embedding vector NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (document_id, attempt, chunk_index),
      FOREIGN KEY (tenant_id, kb_id, document_id) REFERENCES documents (tenant_id, kb_id, id) ON DELETE CASCADE
    )`);
    await q.query(`ALTER TABLE chunk_staging ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY`);
    await q.query(`CREATE POLICY tenant_isolation ON chunk_staging TO strata_app
      USING (tenant_id = strata_current_tenant()) WITH CHECK (tenant_id = strata_current_tenant())`);
    await q.query(`CREATE POLICY platform_access ON chunk_staging TO strata_platform USING (true) WITH CHECK (true)`);
    await q.query(`GRANT SELECT, INSERT, DELETE ON chunk_staging TO strata_app`);
    await q.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON chunk_staging TO strata_platform`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS chunk_staging`);
  }
}
