import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { slugify } from '../../common/text';
import { DatabaseService } from '../../database/database.service';
import { contentHash } from '../../documents/documents.service';
import { DocumentsRepository } from '../../documents/documents.repository';
import { KnowledgeBasesService } from '../../knowledge-bases/knowledge-bases.service';
import { countTokens } from '../../rag/chunking/tokens';
import { ExtractionMerger } from '../../rag/ingestion/extraction-merge';
import { embedFacts } from '../../rag/ingestion/fact-embedding';
import { ModelProviders } from '../../rag/providers/model-providers';
import { GraphStoreRepository, toVector } from '../../rag/storage/graph-store.repository';
import { TenantsService } from '../../tenants/tenants.service';
import { Workspace, WorkspaceDocument, WorkspaceSkip } from './workspace.types';

export interface ImportOptions {
  tenant?: string;
  kb?: string;
  dryRun?: boolean;
  onProgress?: (line: string) => void;
  /** Called after each document (imported, or already present) with how many of the workspace's documents are done. */
  onDocument?: (done: number, total: number) => void;
}

/** found = imported + already_present + skipped (in a dry run, "imported" is what would be imported). */
export interface ItemCounts {
  found: number;
  imported: number;
  already_present: number;
  skipped: number;
}

export interface ImportSummary {
  tenant_id: string | null;
  tenant_slug: string;
  kb_id: string | null;
  kb_name: string;
  dry_run: boolean;
  created_tenant: boolean;
  created_kb: boolean;
  documents_imported: number;
  documents_skipped: number;
  chunks_imported: number;
  entities_linked: number;
  relations_linked: number;
  /** Per kind of item; entities and relations are counted once each, however many documents they span. */
  counts: { documents: ItemCounts; chunks: ItemCounts; entities: ItemCounts; relations: ItemCounts };
  /** Every item left out, with the reason. */
  skipped: WorkspaceSkip[];
}

const noCounts = (): ItemCounts => ({ found: 0, imported: 0, already_present: 0, skipped: 0 });

const EMBED_BATCH = 64;

/**
 * Moves a LightRAG workspace into a tenant and KB (README: Moving from LightRAG): workspace
 * `myworkspace` becomes tenant `myworkspace`. Each document keeps LightRAG's
 * chunks and its extracted graph (entity types, descriptions, relation
 * keywords and weights, and which chunk supports which fact); vectors are
 * computed again with Strata's embedding model, since LightRAG's were made by
 * another one. A document whose content is already in the KB is skipped, so a
 * second run adds nothing. Each document is written in one transaction,
 * through the same graph store the ingestion worker uses.
 */
@Injectable()
export class WorkspaceImporter {
  constructor(
    private readonly db: DatabaseService,
    private readonly tenants: TenantsService,
    private readonly kbs: KnowledgeBasesService,
    private readonly documents: DocumentsRepository,
    private readonly graph: GraphStoreRepository,
    private readonly providers: ModelProviders,
  ) {}

  async import(ws: Workspace, opts: ImportOptions = {}): Promise<ImportSummary> {
    const say = opts.onProgress ?? (() => undefined);
    const slug = slugify(opts.tenant ?? ws.name);
    const kbName = (opts.kb ?? 'default').trim() || 'default';
    const summary: ImportSummary = {
      tenant_id: null,
      tenant_slug: slug,
      kb_id: null,
      kb_name: kbName,
      dry_run: !!opts.dryRun,
      created_tenant: false,
      created_kb: false,
      documents_imported: 0,
      documents_skipped: 0,
      chunks_imported: 0,
      entities_linked: 0,
      relations_linked: 0,
      counts: { documents: noCounts(), chunks: noCounts(), entities: noCounts(), relations: noCounts() },
      skipped: [...(ws.skipped ?? [])],
    };

    let tenantId = await this.tenants.findIdBySlug(slug);
    if (!tenantId && !opts.dryRun) {
      tenantId = (await this.tenants.create({ tenant_name: opts.tenant ?? ws.name, slug })).tenant_id;
      summary.created_tenant = true;
      say(`created tenant ${slug} (${tenantId})`);
    }
    let kbId = tenantId ? await this.kbs.findIdByName(tenantId, kbName) : null;
    if (tenantId && !kbId && !opts.dryRun) {
      kbId = (await this.kbs.create(tenantId, { kb_name: kbName, description: `Imported from LightRAG workspace ${ws.name}` })).kb_id;
      summary.created_kb = true;
      say(`created knowledge base ${kbName} (${kbId})`);
    }
    summary.tenant_id = tenantId;
    summary.kb_id = kbId;

    const existing = new Set<string>();
    if (tenantId && kbId) {
      const hashes = ws.documents.map((d) => contentHash(d.content));
      const found = await this.db.withTenant(tenantId, (db) => this.documents.findByHashes(db, tenantId!, kbId!, hashes));
      for (const f of found) existing.add(f.content_hash);
    }

    const total = ws.documents.length;
    const importedDocs = new Set<string>();
    const presentDocs = new Set<string>();
    for (const [i, doc] of ws.documents.entries()) {
      const prefix = `[${i + 1}/${total}] ${doc.filePath}`;
      if (existing.has(contentHash(doc.content))) {
        summary.documents_skipped++;
        summary.counts.chunks.already_present += doc.chunks.length;
        presentDocs.add(doc.sourceId);
        say(`${prefix}: already imported, skipped`);
        opts.onDocument?.(i + 1, total);
        continue;
      }
      importedDocs.add(doc.sourceId);
      const graph = this.graphOf(ws, doc);
      const chunkCount = Math.max(doc.chunks.length, 1);
      if (opts.dryRun) {
        summary.documents_imported++;
        summary.chunks_imported += chunkCount;
        summary.entities_linked += graph.entities.size;
        summary.relations_linked += graph.relations.size;
        say(`${prefix}: would import ${chunkCount} chunks, ${graph.entities.size} entities, ${graph.relations.size} relations`);
        opts.onDocument?.(i + 1, total);
        continue;
      }
      const written = await this.writeDocument(tenantId!, kbId!, doc, graph);
      summary.documents_imported++;
      summary.chunks_imported += written.chunks;
      summary.entities_linked += graph.entities.size;
      summary.relations_linked += graph.relations.size;
      say(`${prefix}: imported ${written.chunks} chunks, ${graph.entities.size} entities, ${graph.relations.size} relations`);
      opts.onDocument?.(i + 1, total);
    }
    this.count(ws, summary, importedDocs, presentDocs);
    return summary;
  }

  /** Fills summary.counts: documents and chunks from the loop, entities and relations by the documents that support them. */
  private count(ws: Workspace, summary: ImportSummary, importedDocs: Set<string>, presentDocs: Set<string>): void {
    const skips = (kind: WorkspaceSkip['kind']) => summary.skipped.filter((s) => s.kind === kind).length;
    const c = summary.counts;
    c.documents = { found: ws.documents.length + skips('document'), imported: summary.documents_imported, already_present: summary.documents_skipped, skipped: skips('document') };
    c.chunks.imported = summary.chunks_imported;
    c.chunks.skipped = skips('chunk');
    c.chunks.found = ws.documents.reduce((n, d) => n + d.chunks.length, 0) + c.chunks.skipped;
    const docOfChunk = new Map<string, string>();
    for (const d of ws.documents) for (const ch of d.chunks) docOfChunk.set(ch.sourceId, d.sourceId);
    const classify = (kind: 'entity' | 'relation', id: string, chunkIds: string[], into: ItemCounts): void => {
      into.found++;
      const docs = chunkIds.map((ch) => docOfChunk.get(ch)).filter((d): d is string => d !== undefined);
      if (docs.some((d) => importedDocs.has(d))) into.imported++;
      else if (docs.some((d) => presentDocs.has(d))) into.already_present++;
      else {
        into.skipped++;
        summary.skipped.push({ kind, id, reason: 'no supporting chunk in any imported document' });
      }
    };
    for (const e of ws.entities) classify('entity', e.name, e.chunkIds, c.entities);
    for (const r of ws.relations) classify('relation', `${r.source} -> ${r.target}`, r.chunkIds, c.relations);
  }

  /** The workspace's graph facts supported by this document's chunks, keyed by chunk index. */
  private graphOf(ws: Workspace, doc: WorkspaceDocument): ExtractionMerger {
    const indexOf = new Map(doc.chunks.map((c, i) => [c.sourceId, i] as const));
    const merger = new ExtractionMerger();
    for (const e of ws.entities) {
      for (const id of e.chunkIds) {
        const idx = indexOf.get(id);
        if (idx !== undefined) merger.add(idx, { entities: [{ name: e.name, type: e.type, description: e.description }], relations: [] });
      }
    }
    for (const r of ws.relations) {
      for (const id of r.chunkIds) {
        const idx = indexOf.get(id);
        if (idx !== undefined) {
          merger.add(idx, { entities: [], relations: [{ source: r.source, target: r.target, keywords: r.keywords, description: r.description, weight: r.weight }] });
        }
      }
    }
    return merger;
  }

  private async writeDocument(tenantId: string, kbId: string, doc: WorkspaceDocument, graph: ExtractionMerger): Promise<{ chunks: number }> {
    const chunks = doc.chunks.length ? doc.chunks : [{ sourceId: 'whole', index: 0, content: doc.content, tokens: countTokens(doc.content) }];
    const providers = await this.providers.forTenant(tenantId);
    const ctx = { tenantId, kbId, purpose: 'embedding' as const };
    const vectors: number[][] = [];
    for (let i = 0; i < chunks.length; i += EMBED_BATCH) {
      vectors.push(
        ...(await providers.embedding.embed(
          chunks.slice(i, i + EMBED_BATCH).map((c) => c.content),
          ctx,
        )),
      );
    }
    const { entities, relations } = await embedFacts(providers, graph, ctx);
    await this.db.withTenant(tenantId, async (db) => {
      const row = await this.documents.insert(db, tenantId, kbId, {
        filePath: doc.filePath,
        contentHash: contentHash(doc.content),
        content: doc.content,
        format: 'text',
        sizeBytes: Buffer.byteLength(doc.content, 'utf8'),
        trackId: `import_${randomUUID().slice(0, 8)}`,
      });
      const chunkIds = await this.graph.insertChunks(
        db,
        tenantId,
        kbId,
        row.id,
        chunks.map((c, i) => ({ index: i, content: c.content, tokens: c.tokens || countTokens(c.content), embedding: toVector(vectors[i]) })),
      );
      const entityIds = await this.graph.mergeEntities(db, tenantId, kbId, row.id, entities, chunkIds);
      await this.graph.mergeRelations(db, tenantId, kbId, row.id, relations, entityIds, chunkIds);
      await this.documents.setStatus(db, tenantId, kbId, row.id, 'processed', { chunksCount: chunks.length });
    });
    return { chunks: chunks.length };
  }
}
