import { Client } from 'pg';
import type { Db, Row } from '../../database/db';
import { splitSourceIds, Workspace, WorkspaceSkip, WorkspaceChunk, WorkspaceDocument, WorkspaceEntity, WorkspaceRelation } from './workspace.types';

/** The reading half of Db on a plain pg client: LightRAG's database is only read, outside any Strata unit of work. */
type SourceDb = Pick<Db, 'many' | 'one'>;

function sourceDb(client: Client): SourceDb {
  const many = async <T = Row>(sql: string, params?: readonly unknown[]): Promise<T[]> => (await client.query(sql, params ? [...params] : undefined)).rows as T[];
  return { many, one: async <T = Row>(sql: string, params?: readonly unknown[]) => (await many<T>(sql, params))[0] };
}

async function tableExists(db: SourceDb, name: string): Promise<boolean> {
  return (await db.one(`SELECT 1 FROM information_schema.tables WHERE lower(table_name) = lower($1)`, [name])) !== undefined;
}

/** Rows as LightRAG stores them; every value is checked where it is used. */
interface DocRow {
  id: string;
  content: unknown;
  doc_name: string | null;
}
interface ChunkRow {
  id: string;
  full_doc_id: string;
  chunk_order_index: number | string | null;
  tokens: number | string | null;
  content: string;
  file_path: string | null;
}
interface EntityRow {
  entity_name: string | null;
  content: string | null;
  chunk_ids: unknown;
}
interface RelationRow {
  source_id: string | null;
  target_id: string | null;
  content: string | null;
  chunk_ids: unknown;
}

/**
 * One workspace from LightRAG's PostgreSQL storage: LIGHTRAG_DOC_FULL,
 * LIGHTRAG_DOC_CHUNKS (or LIGHTRAG_VDB_CHUNKS in newer versions),
 * LIGHTRAG_VDB_ENTITY ("name\ndescription") and LIGHTRAG_VDB_RELATION
 * ("keywords\tsource\ntarget\ndescription"). Vectors are not read: Strata
 * embeds again with its own model.
 */
export async function readPgWorkspace(url: string, workspace: string, opts: { allowEmpty?: boolean } = {}): Promise<Workspace> {
  const client = new Client({ connectionString: url });
  await client.connect();
  const db = sourceDb(client);
  try {
    if (!(await tableExists(db, 'lightrag_doc_full'))) throw new Error('no LIGHTRAG_DOC_FULL table in that database');
    const docs = await db.many<DocRow>(`SELECT id, content, doc_name FROM LIGHTRAG_DOC_FULL WHERE workspace = $1 ORDER BY id`, [workspace]);
    if (docs.length === 0 && !opts.allowEmpty) throw new Error(`workspace "${workspace}" has no documents in LIGHTRAG_DOC_FULL`);
    const chunkTable = (await tableExists(db, 'lightrag_doc_chunks')) ? 'LIGHTRAG_DOC_CHUNKS' : 'LIGHTRAG_VDB_CHUNKS';
    const chunks = await db.many<ChunkRow>(
      `SELECT id, full_doc_id, chunk_order_index, tokens, content, file_path FROM ${chunkTable} WHERE workspace = $1 ORDER BY full_doc_id, chunk_order_index`,
      [workspace],
    );
    const byDoc = new Map<string, WorkspaceChunk[]>();
    const pathOf = new Map<string, string>();
    for (const c of chunks) {
      const list = byDoc.get(c.full_doc_id) ?? [];
      list.push({ sourceId: c.id, index: Number(c.chunk_order_index ?? list.length), content: c.content, tokens: Number(c.tokens ?? 0) });
      byDoc.set(c.full_doc_id, list);
      if (c.file_path && !pathOf.has(c.full_doc_id)) pathOf.set(c.full_doc_id, c.file_path);
    }
    const skipped: WorkspaceSkip[] = [];
    const docIds = new Set(docs.map((d) => d.id));
    for (const c of chunks) if (!docIds.has(c.full_doc_id)) skipped.push({ kind: 'chunk', id: c.id, reason: `its document ${c.full_doc_id} is not in LIGHTRAG_DOC_FULL` });
    const hasContent = (d: DocRow): d is DocRow & { content: string } => typeof d.content === 'string' && d.content.trim() !== '';
    for (const d of docs.filter((x) => !hasContent(x))) {
      skipped.push({ kind: 'document', id: d.id, reason: 'empty or missing content' });
      for (const c of byDoc.get(d.id) ?? []) skipped.push({ kind: 'chunk', id: c.sourceId, reason: `its document ${d.id} has no content` });
    }
    const documents: WorkspaceDocument[] = docs
      .filter(hasContent)
      .map((d) => ({ sourceId: d.id, filePath: pathOf.get(d.id) ?? d.doc_name ?? d.id, content: d.content, chunks: byDoc.get(d.id) ?? [] }));

    const entities: WorkspaceEntity[] = [];
    if (await tableExists(db, 'lightrag_vdb_entity')) {
      const r = await db.many<EntityRow>(`SELECT entity_name, content, chunk_ids FROM LIGHTRAG_VDB_ENTITY WHERE workspace = $1`, [workspace]);
      for (const e of r) {
        if (!e.entity_name) continue;
        const content = String(e.content ?? '');
        const description = content.startsWith(`${e.entity_name}\n`) ? content.slice(e.entity_name.length + 1) : content;
        entities.push({ name: e.entity_name, type: 'unknown', description: description.trim(), chunkIds: splitSourceIds(e.chunk_ids) });
      }
    }
    const relations: WorkspaceRelation[] = [];
    if (await tableExists(db, 'lightrag_vdb_relation')) {
      const r = await db.many<RelationRow>(`SELECT source_id, target_id, content, chunk_ids FROM LIGHTRAG_VDB_RELATION WHERE workspace = $1`, [workspace]);
      for (const rel of r) {
        if (!rel.source_id || !rel.target_id || rel.source_id === rel.target_id) continue;
        const [head, ...rest] = String(rel.content ?? '').split('\n');
        relations.push({
          source: rel.source_id,
          target: rel.target_id,
          keywords: head.includes('\t') ? head.split('\t')[0] : '',
          description: rest.slice(1).join('\n').trim(),
          weight: 1,
          chunkIds: splitSourceIds(rel.chunk_ids),
        });
      }
    }
    return { name: workspace, documents, entities, relations, skipped };
  } finally {
    await client.end();
  }
}

/**
 * Every workspace of LightRAG's PostgreSQL storage: the distinct `workspace`
 * values of the LIGHTRAG_* tables that hold a workspace column ('' is the
 * default workspace), sorted.
 */
export async function listPgWorkspaces(url: string): Promise<string[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  const db = sourceDb(client);
  try {
    const tables = await db.many<{ table_name: string }>(
      `SELECT DISTINCT table_name FROM information_schema.columns
        WHERE lower(table_name) LIKE 'lightrag\\_%' AND lower(column_name) = 'workspace' AND table_schema = current_schema() ORDER BY table_name`,
    );
    if (!tables.some((t) => t.table_name.toLowerCase() === 'lightrag_doc_full')) throw new Error('no LIGHTRAG_DOC_FULL table in that database');
    const names = new Set<string>();
    for (const t of tables) {
      for (const r of await db.many<{ workspace: string | null }>(`SELECT DISTINCT workspace FROM "${t.table_name.replace(/"/g, '""')}"`)) names.add(r.workspace ?? '');
    }
    return [...names].sort();
  } finally {
    await client.end();
  }
}
