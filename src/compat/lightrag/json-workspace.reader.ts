import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { joinDescriptions, splitSourceIds, Workspace, WorkspaceSkip, WorkspaceChunk, WorkspaceDocument, WorkspaceEntity, WorkspaceRelation } from './workspace.types';

/** The fields read from LightRAG's JSON stores; every value is checked where it is used. */
interface KvDocument {
  content?: unknown;
  file_path?: unknown;
}
interface KvChunk {
  full_doc_id?: unknown;
  content?: unknown;
  chunk_order_index?: unknown;
  tokens?: unknown;
}
interface VdbEntity {
  entity_name?: unknown;
  content?: unknown;
  source_id?: unknown;
}
interface VdbRelation {
  src_id?: unknown;
  tgt_id?: unknown;
  content?: unknown;
  source_id?: unknown;
}
interface VdbFile<T> {
  data?: T[];
}

/** A JSON object file of the working directory ({} when missing and optional). */
function readJson<T extends object>(dir: string, file: string, required: boolean): Partial<T> {
  const path = join(dir, file);
  if (!existsSync(path)) {
    if (required) throw new Error(`${path} is missing: is this a LightRAG working directory?`);
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${path} is not a JSON object`);
  return parsed as Partial<T>;
}

function decodeXml(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_m, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&#x([0-9a-f]+);/gi, (_m, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&amp;/g, '&');
}

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\b${name}="([^"]*)"`).exec(tag);
  return m ? decodeXml(m[1]) : undefined;
}

/**
 * Reads LightRAG's GraphML (NetworkX writes it): keys map `d0…` ids to
 * attribute names; nodes carry entity_type/description/source_id, edges
 * keywords/description/weight/source_id.
 */
export function parseGraphml(xml: string): { entities: WorkspaceEntity[]; relations: WorkspaceRelation[] } {
  const keys = new Map<string, string>();
  for (const m of xml.matchAll(/<key\b[^>]*>/g)) {
    const id = attr(m[0], 'id');
    const name = attr(m[0], 'attr.name');
    if (id && name) keys.set(id, name);
  }
  const dataOf = (body: string): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const d of body.matchAll(/<data\s+key="([^"]+)"\s*>([\s\S]*?)<\/data>/g)) out[keys.get(d[1]) ?? d[1]] = decodeXml(d[2]);
    return out;
  };
  const entities: WorkspaceEntity[] = [];
  for (const m of xml.matchAll(/<node\b([^>]*?)(?:\/>|>([\s\S]*?)<\/node>)/g)) {
    const id = attr(m[1], 'id');
    if (!id) continue;
    const d = dataOf(m[2] ?? '');
    entities.push({
      name: d.entity_id || id,
      type: (d.entity_type || 'unknown').toLowerCase(),
      description: joinDescriptions(d.description ?? ''),
      chunkIds: splitSourceIds(d.source_id),
    });
  }
  const relations: WorkspaceRelation[] = [];
  for (const m of xml.matchAll(/<edge\b([^>]*?)(?:\/>|>([\s\S]*?)<\/edge>)/g)) {
    const source = attr(m[1], 'source');
    const target = attr(m[1], 'target');
    if (!source || !target || source === target) continue;
    const d = dataOf(m[2] ?? '');
    const weight = Number(d.weight);
    relations.push({
      source,
      target,
      keywords: d.keywords ?? '',
      description: joinDescriptions(d.description ?? ''),
      weight: Number.isFinite(weight) && weight > 0 ? weight : 1,
      chunkIds: splitSourceIds(d.source_id),
    });
  }
  return { entities, relations };
}

/** Parses a relation's vector-store content: "keywords\tsource\ntarget\ndescription". */
function relationFromVdb(row: VdbRelation): WorkspaceRelation | null {
  const source = String(row.src_id ?? '');
  const target = String(row.tgt_id ?? '');
  if (!source || !target || source === target) return null;
  const content = String(row.content ?? '');
  const [head, ...rest] = content.split('\n');
  const keywords = head.includes('\t') ? head.split('\t')[0] : '';
  return { source, target, keywords, description: rest.slice(1).join('\n').trim(), weight: 1, chunkIds: splitSourceIds(row.source_id) };
}

/**
 * A LightRAG JSON working directory (kv_store_full_docs.json,
 * kv_store_text_chunks.json, graph_chunk_entity_relation.graphml, vdb_*.json).
 * The graph comes from the GraphML when present (it has entity types and
 * weights), else from the vector stores.
 */
export function readJsonWorkspace(workingDir: string, name?: string): Workspace {
  const dir = resolve(workingDir);
  if (!existsSync(dir)) throw new Error(`working directory ${dir} does not exist`);
  const fullDocs = readJson<Record<string, KvDocument>>(dir, 'kv_store_full_docs.json', true);
  const textChunks = readJson<Record<string, KvChunk>>(dir, 'kv_store_text_chunks.json', false);
  const status = readJson<Record<string, KvDocument>>(dir, 'kv_store_doc_status.json', false);

  const skipped: WorkspaceSkip[] = [];
  const chunksByDoc = new Map<string, WorkspaceChunk[]>();
  for (const [id, c] of Object.entries(textChunks) as Array<[string, KvChunk]>) {
    const docId = String(c.full_doc_id ?? '');
    if (!docId || typeof c.content !== 'string') {
      skipped.push({ kind: 'chunk', id, reason: 'no full_doc_id or no text content' });
      continue;
    }
    const list = chunksByDoc.get(docId) ?? [];
    list.push({ sourceId: id, index: Number(c.chunk_order_index ?? list.length), content: c.content, tokens: Number(c.tokens ?? 0) });
    chunksByDoc.set(docId, list);
  }
  const documents: WorkspaceDocument[] = [];
  for (const [id, d] of Object.entries(fullDocs) as Array<[string, KvDocument]>) {
    if (typeof d.content !== 'string' || !d.content.trim()) {
      skipped.push({ kind: 'document', id, reason: 'empty or missing content' });
      for (const c of chunksByDoc.get(id) ?? []) skipped.push({ kind: 'chunk', id: c.sourceId, reason: `its document ${id} has no content` });
      chunksByDoc.delete(id);
      continue;
    }
    documents.push({
      sourceId: id,
      filePath: String(d.file_path ?? status[id]?.file_path ?? id),
      content: d.content,
      chunks: (chunksByDoc.get(id) ?? []).sort((a, b) => a.index - b.index),
    });
  }

  for (const [docId, chunks] of chunksByDoc) {
    if (!(docId in fullDocs)) for (const c of chunks) skipped.push({ kind: 'chunk', id: c.sourceId, reason: `its document ${docId} is not in kv_store_full_docs.json` });
  }

  let graph: { entities: WorkspaceEntity[]; relations: WorkspaceRelation[] };
  const graphml = join(dir, 'graph_chunk_entity_relation.graphml');
  if (existsSync(graphml)) {
    const xml = readFileSync(graphml, 'utf8');
    if (!/<graphml[\s>]/.test(xml) || !/<\/graphml>\s*$/.test(xml)) throw new Error(`${graphml} is not a complete GraphML document`);
    graph = parseGraphml(xml);
  } else {
    const ents = readJson<VdbFile<VdbEntity>>(dir, 'vdb_entities.json', false).data ?? [];
    const rels = readJson<VdbFile<VdbRelation>>(dir, 'vdb_relationships.json', false).data ?? [];
    graph = {
      entities: ents
        .filter((e) => e.entity_name)
        .map((e) => ({
          name: String(e.entity_name),
          type: 'unknown',
          description: String(e.content ?? '')
            .split('\n')
            .slice(1)
            .join('\n')
            .trim(),
          chunkIds: splitSourceIds(e.source_id),
        })),
      relations: rels.map(relationFromVdb).filter((r): r is WorkspaceRelation => r !== null),
    };
  }
  return { name: name ?? basename(dir), documents, ...graph, skipped };
}

/** The files LightRAG's JSON storages write into a working directory (or a workspace's sub-directory). */
const STORAGE_FILE = /^(kv_store_[a-z_]+\.json|vdb_[a-z_]+\.json|graph_chunk_entity_relation\.graphml)$/;

function holdsStorage(dir: string): boolean {
  return readdirSync(dir).some((f) => STORAGE_FILE.test(f) && statSync(join(dir, f)).isFile());
}

/**
 * The workspaces of a LightRAG working directory: LightRAG's JSON storages put
 * workspace `w` in the sub-directory `w`, and the default (empty) workspace in
 * the directory itself. Returns the workspace names ('' for the default one)
 * with their directories, the default first, then by name.
 */
export function listJsonWorkspaces(workingDir: string): Array<{ workspace: string; dir: string }> {
  const root = resolve(workingDir);
  if (!existsSync(root)) throw new Error(`working directory ${root} does not exist`);
  const found: Array<{ workspace: string; dir: string }> = [];
  if (holdsStorage(root)) found.push({ workspace: '', dir: root });
  const subs = readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  for (const sub of subs) if (holdsStorage(join(root, sub))) found.push({ workspace: sub, dir: join(root, sub) });
  return found;
}
