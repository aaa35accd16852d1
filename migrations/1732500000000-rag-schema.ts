import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The RAG engine's schema: documents, chunks, the knowledge graph (entities,
 * relations and the chunks that support each fact) and the ingestion job
 * queue. Every row is keyed by (tenant_id, kb_id, …) with a composite foreign
 * key to knowledge_bases(tenant_id, id), so a KB's deletion takes everything
 * with it, and every table has the row-level-security policies of migration 1.
 *
 * The embedding width is fixed here (pgvector columns have one dimension):
 * EMBEDDING_DIM at the time this runs (default as in the settings: 1024 for
 * the local binding, 1536 for openai), recorded in platform_settings as
 * `embedding_dim`; the server refuses to start when EMBEDDING_DIM later differs.
 */
export function embeddingDimFromEnv(env: Record<string, string | undefined> = process.env): number {
  const raw = env.EMBEDDING_DIM?.trim();
  if (raw) {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 8 || n > 2000)
      throw new Error(`Invalid configuration: EMBEDDING_DIM must be an integer between 8 and 2000 (pgvector HNSW limit), got "${raw}"`);
    return n;
  }
  const binding = (env.EMBEDDING_BINDING ?? 'local').trim().toLowerCase();
  return binding === 'local' || binding === '' ? 1024 : 1536;
}

const TENANT_TABLES = ['documents', 'chunks', 'entities', 'relations', 'entity_chunks', 'relation_chunks', 'jobs'];

export class RagSchema1732500000000 implements MigrationInterface {
  name = 'RagSchema1732500000000';

  async up(q: QueryRunner): Promise<void> {
    const dim = embeddingDimFromEnv();
    await q.query(`INSERT INTO platform_settings (key, value) VALUES ('embedding_dim', $1) ON CONFLICT (key) DO NOTHING`, [String(dim)]);

    await q.query(`CREATE TABLE documents (
      tenant_id uuid NOT NULL,
      kb_id uuid NOT NULL,
      id uuid NOT NULL DEFAULT gen_random_uuid(),
      file_path text NOT NULL,
      content_hash text NOT NULL,
      content text NOT NULL,
      format text NOT NULL DEFAULT 'text',
      size_bytes bigint NOT NULL,
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processing', 'processed', 'failed')),
      error text,
      chunks_count int NOT NULL DEFAULT 0,
      track_id text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (id),
      UNIQUE (tenant_id, kb_id, id),
      UNIQUE (tenant_id, kb_id, content_hash),
      FOREIGN KEY (tenant_id, kb_id) REFERENCES knowledge_bases (tenant_id, id) ON DELETE CASCADE
    )`);
    await q.query(`CREATE INDEX documents_list_idx ON documents (tenant_id, kb_id, created_at DESC, id)`);
    await q.query(`CREATE INDEX documents_status_idx ON documents (tenant_id, kb_id, status)`);

    await q.query(`CREATE TABLE chunks (
      tenant_id uuid NOT NULL,
      kb_id uuid NOT NULL,
      id uuid NOT NULL DEFAULT gen_random_uuid(),
      document_id uuid NOT NULL,
      chunk_index int NOT NULL,
      content text NOT NULL,
      tokens int NOT NULL,
      embedding vector(${dim}) NOT NULL,
      tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', content)) STORED,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (id),
      UNIQUE (tenant_id, kb_id, id),
      UNIQUE (document_id, chunk_index),
      FOREIGN KEY (tenant_id, kb_id) REFERENCES knowledge_bases (tenant_id, id) ON DELETE CASCADE,
      FOREIGN KEY (tenant_id, kb_id, document_id) REFERENCES documents (tenant_id, kb_id, id) ON DELETE CASCADE
    )`);
    await q.query(`CREATE INDEX chunks_kb_idx ON chunks (tenant_id, kb_id)`);
    await q.query(`CREATE INDEX chunks_tsv_idx ON chunks USING gin (tsv)`);
    await q.query(`CREATE INDEX chunks_embedding_idx ON chunks USING hnsw (embedding vector_cosine_ops)`);

    await q.query(`CREATE TABLE entities (
      tenant_id uuid NOT NULL,
      kb_id uuid NOT NULL,
      id uuid NOT NULL DEFAULT gen_random_uuid(),
      name text NOT NULL,
      name_key text NOT NULL,
      type text NOT NULL,
      description text NOT NULL,
      embedding vector(${dim}) NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (id),
      UNIQUE (tenant_id, kb_id, id),
      UNIQUE (tenant_id, kb_id, name_key),
      FOREIGN KEY (tenant_id, kb_id) REFERENCES knowledge_bases (tenant_id, id) ON DELETE CASCADE
    )`);
    await q.query(`CREATE INDEX entities_embedding_idx ON entities USING hnsw (embedding vector_cosine_ops)`);

    await q.query(`CREATE TABLE relations (
      tenant_id uuid NOT NULL,
      kb_id uuid NOT NULL,
      id uuid NOT NULL DEFAULT gen_random_uuid(),
      source_id uuid NOT NULL,
      target_id uuid NOT NULL,
      keywords text NOT NULL,
      description text NOT NULL,
      weight double precision NOT NULL,
      embedding vector(${dim}) NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (id),
      UNIQUE (tenant_id, kb_id, id),
      UNIQUE (tenant_id, kb_id, source_id, target_id),
      CHECK (source_id <> target_id),
      FOREIGN KEY (tenant_id, kb_id) REFERENCES knowledge_bases (tenant_id, id) ON DELETE CASCADE,
      FOREIGN KEY (tenant_id, kb_id, source_id) REFERENCES entities (tenant_id, kb_id, id) ON DELETE CASCADE,
      FOREIGN KEY (tenant_id, kb_id, target_id) REFERENCES entities (tenant_id, kb_id, id) ON DELETE CASCADE
    )`);
    await q.query(`CREATE INDEX relations_target_idx ON relations (tenant_id, kb_id, target_id)`);
    await q.query(`CREATE INDEX relations_embedding_idx ON relations USING hnsw (embedding vector_cosine_ops)`);

    // Support: which chunk (of which document) contributed what to a fact. A
    // fact's description and weight are rebuilt from its remaining support
    // when a document goes, and the fact goes when no support is left.
    await q.query(`CREATE TABLE entity_chunks (
      tenant_id uuid NOT NULL,
      kb_id uuid NOT NULL,
      entity_id uuid NOT NULL,
      chunk_id uuid NOT NULL,
      document_id uuid NOT NULL,
      description text NOT NULL,
      PRIMARY KEY (entity_id, chunk_id),
      FOREIGN KEY (tenant_id, kb_id) REFERENCES knowledge_bases (tenant_id, id) ON DELETE CASCADE,
      FOREIGN KEY (tenant_id, kb_id, entity_id) REFERENCES entities (tenant_id, kb_id, id) ON DELETE CASCADE,
      FOREIGN KEY (tenant_id, kb_id, chunk_id) REFERENCES chunks (tenant_id, kb_id, id) ON DELETE CASCADE
    )`);
    await q.query(`CREATE INDEX entity_chunks_chunk_idx ON entity_chunks (chunk_id)`);
    await q.query(`CREATE INDEX entity_chunks_document_idx ON entity_chunks (tenant_id, kb_id, document_id)`);

    await q.query(`CREATE TABLE relation_chunks (
      tenant_id uuid NOT NULL,
      kb_id uuid NOT NULL,
      relation_id uuid NOT NULL,
      chunk_id uuid NOT NULL,
      document_id uuid NOT NULL,
      keywords text NOT NULL,
      description text NOT NULL,
      weight double precision NOT NULL,
      PRIMARY KEY (relation_id, chunk_id),
      FOREIGN KEY (tenant_id, kb_id) REFERENCES knowledge_bases (tenant_id, id) ON DELETE CASCADE,
      FOREIGN KEY (tenant_id, kb_id, relation_id) REFERENCES relations (tenant_id, kb_id, id) ON DELETE CASCADE,
      FOREIGN KEY (tenant_id, kb_id, chunk_id) REFERENCES chunks (tenant_id, kb_id, id) ON DELETE CASCADE
    )`);
    await q.query(`CREATE INDEX relation_chunks_chunk_idx ON relation_chunks (chunk_id)`);
    await q.query(`CREATE INDEX relation_chunks_document_idx ON relation_chunks (tenant_id, kb_id, document_id)`);

    // The ingestion queue (ADR 003): claimed with FOR UPDATE SKIP LOCKED,
    // round-robin across tenants through job_tenants.last_claimed_at.
    await q.query(`CREATE TABLE jobs (
      tenant_id uuid NOT NULL,
      kb_id uuid NOT NULL,
      id uuid NOT NULL DEFAULT gen_random_uuid(),
      document_id uuid NOT NULL,
      kind text NOT NULL DEFAULT 'ingest',
      state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done', 'failed')),
      attempts int NOT NULL DEFAULT 0,
      max_attempts int NOT NULL DEFAULT 5,
      run_at timestamptz NOT NULL DEFAULT now(),
      locked_at timestamptz,
      locked_by text,
      last_error text,
      request_id text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (id),
      FOREIGN KEY (tenant_id, kb_id) REFERENCES knowledge_bases (tenant_id, id) ON DELETE CASCADE,
      FOREIGN KEY (tenant_id, kb_id, document_id) REFERENCES documents (tenant_id, kb_id, id) ON DELETE CASCADE
    )`);
    await q.query(`CREATE INDEX jobs_pending_idx ON jobs (tenant_id, run_at, id) WHERE state = 'pending'`);
    await q.query(`CREATE INDEX jobs_running_idx ON jobs (locked_at) WHERE state = 'running'`);
    await q.query(`CREATE INDEX jobs_document_idx ON jobs (tenant_id, kb_id, document_id)`);

    await q.query(`CREATE TABLE job_tenants (
      tenant_id uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
      last_claimed_at timestamptz NOT NULL DEFAULT now()
    )`);

    for (const table of [...TENANT_TABLES, 'job_tenants']) {
      await q.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY`);
      await q.query(`CREATE POLICY tenant_isolation ON ${table} TO strata_app
        USING (tenant_id = strata_current_tenant()) WITH CHECK (tenant_id = strata_current_tenant())`);
      await q.query(`CREATE POLICY platform_access ON ${table} TO strata_platform USING (true) WITH CHECK (true)`);
    }
    await q.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${TENANT_TABLES.join(', ')} TO strata_app`);
    await q.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${TENANT_TABLES.join(', ')}, job_tenants TO strata_platform`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS job_tenants, jobs, relation_chunks, entity_chunks, relations, entities, chunks, documents CASCADE`);
    await q.query(`DELETE FROM platform_settings WHERE key = 'embedding_dim'`);
  }
}
