import { Client } from 'pg';
import { freshDatabase, TestDatabase } from './test-db';

/**
 * A new database on the TEST_DATABASE_URL server laid out like LightRAG's
 * PostgreSQL storage: LIGHTRAG_DOC_FULL, LIGHTRAG_DOC_CHUNKS,
 * LIGHTRAG_VDB_ENTITY and LIGHTRAG_VDB_RELATION with the columns the
 * workspace reader uses, keyed by (workspace, id). `fill` inserts the rows
 * through an open client. Drop it with `drop()`.
 */
export async function lightragDatabase(fill: (c: Client) => Promise<void>): Promise<TestDatabase & { url: string }> {
  const source = await freshDatabase();
  if (!source.url) throw new Error('lightragDatabase needs TEST_DATABASE_URL (a PostgreSQL server)');
  const c = new Client({ connectionString: source.url });
  await c.connect();
  try {
    await c.query(`CREATE TABLE LIGHTRAG_DOC_FULL (id varchar(255), workspace varchar(255), doc_name varchar(1024), content text, meta jsonb, PRIMARY KEY (workspace, id))`);
    await c.query(
      `CREATE TABLE LIGHTRAG_DOC_CHUNKS (id varchar(255), workspace varchar(255), full_doc_id varchar(256), chunk_order_index int, tokens int, content text, file_path varchar(256), PRIMARY KEY (workspace, id))`,
    );
    await c.query(
      `CREATE TABLE LIGHTRAG_VDB_ENTITY (id varchar(255), workspace varchar(255), entity_name varchar(512), content text, chunk_ids varchar(255)[], file_path text, PRIMARY KEY (workspace, id))`,
    );
    await c.query(
      `CREATE TABLE LIGHTRAG_VDB_RELATION (id varchar(255), workspace varchar(255), source_id varchar(512), target_id varchar(512), content text, chunk_ids varchar(255)[], file_path text, PRIMARY KEY (workspace, id))`,
    );
    await fill(c);
  } catch (e) {
    await c.end();
    await source.drop();
    throw e;
  }
  await c.end();
  return { ...source, url: source.url };
}
