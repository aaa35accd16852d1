import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for the LightRAG-compatible document routes (issue 10): lookups by
 * track id (track_status), by file name (duplicate-by-name inserts, through
 * md5(file_path): a file name may be up to 1 000 characters, past a B-tree
 * entry's size limit), and the paginated list's default order (updated_at).
 */
export class DocumentLookups1733000000000 implements MigrationInterface {
  name = 'DocumentLookups1733000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX documents_track_idx ON documents (tenant_id, kb_id, track_id)`);
    await q.query(`CREATE INDEX documents_file_path_md5_idx ON documents (tenant_id, kb_id, md5(file_path))`);
    await q.query(`CREATE INDEX documents_updated_idx ON documents (tenant_id, kb_id, updated_at DESC, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS documents_updated_idx`);
    await q.query(`DROP INDEX IF EXISTS documents_file_path_md5_idx`);
    await q.query(`DROP INDEX IF EXISTS documents_track_idx`);
  }
}
