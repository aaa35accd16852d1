import type { ExtractedEntity, ExtractedRelation } from '../providers/provider.types';
import type { EntitySupport, RelationSupport, SupportLinks } from '../storage/fact-support';

/**
 * Support rows past this many per fact keep only their link (chunk, weight),
 * not their text: a fact's description shows at most a few descriptions
 * anyway, and a 20 MB document must not hold every sentence twice in memory.
 * Those links are packed as numbers (`more`), not objects: a 20 MB text gives
 * ~700 000 support rows, ~80 bytes each as objects, 8–16 as numbers.
 */
export const KEEP_DESCRIPTIONS = 8;

/** How names are matched across chunks and documents: case and spacing do not make a new entity. */
export function entityKey(name: string): string {
  return name.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
}

export interface MergedEntity {
  key: string;
  name: string;
  type: string;
  /** The first KEEP_DESCRIPTIONS supporting chunks, with what they say. */
  support: EntitySupport[];
  more: SupportLinks;
}

export interface MergedRelation {
  sourceKey: string;
  targetKey: string;
  sourceName: string;
  targetName: string;
  support: RelationSupport[];
  more: Required<SupportLinks>;
}

const lastChunkOf = (fact: { support: Array<{ chunkIndex: number }>; more: SupportLinks }): number | undefined =>
  fact.more.chunks.length ? fact.more.chunks[fact.more.chunks.length - 1] : fact.support.at(-1)?.chunkIndex;

/**
 * Gathers one document's extractions, chunk by chunk, into one fact per
 * entity name and per unordered entity pair, keeping which chunk said what
 * (the support rows). Memory grows with the number of distinct facts, not
 * with the text.
 */
export class ExtractionMerger {
  readonly entities = new Map<string, MergedEntity>();
  readonly relations = new Map<string, MergedRelation>();

  add(chunkIndex: number, extracted: { entities: ExtractedEntity[]; relations: ExtractedRelation[] }): void {
    for (const e of extracted.entities) {
      const key = entityKey(e.name ?? '');
      if (!key || key.length > 500) continue;
      const ent = this.entity(key, e.name.trim(), e.type || 'unknown');
      this.supportEntity(ent, chunkIndex, e.description || e.name);
    }
    for (const r of extracted.relations) {
      const a = entityKey(r.source ?? '');
      const b = entityKey(r.target ?? '');
      if (!a || !b || a === b || a.length > 500 || b.length > 500) continue;
      // An endpoint the extractor did not list as an entity still becomes a node (as LightRAG does).
      if (!this.entities.has(a)) this.supportEntity(this.entity(a, r.source.trim(), 'unknown'), chunkIndex, r.description || r.source);
      if (!this.entities.has(b)) this.supportEntity(this.entity(b, r.target.trim(), 'unknown'), chunkIndex, r.description || r.target);
      const [s, t] = a < b ? [a, b] : [b, a];
      const pair = `${s}\u0000${t}`;
      let rel = this.relations.get(pair);
      if (!rel) {
        rel = { sourceKey: s, targetKey: t, sourceName: this.entities.get(s)!.name, targetName: this.entities.get(t)!.name, support: [], more: { chunks: [], weights: [] } };
        this.relations.set(pair, rel);
      }
      const weight = Number.isFinite(r.weight) && r.weight > 0 ? r.weight : 1;
      if (lastChunkOf(rel) === chunkIndex) {
        // Mentions within one chunk add up, as the support row would.
        if (rel.more.chunks.length) rel.more.weights[rel.more.weights.length - 1] += weight;
        else rel.support[rel.support.length - 1].weight += weight;
        continue;
      }
      if (rel.support.length < KEEP_DESCRIPTIONS) {
        rel.support.push({ chunkIndex, keywords: (r.keywords || '').slice(0, 500), description: (r.description || '').slice(0, 2000), weight });
      } else {
        rel.more.chunks.push(chunkIndex);
        rel.more.weights.push(weight);
      }
    }
  }

  /** One support row per (fact, chunk): described while there are fewer than KEEP_DESCRIPTIONS, a bare link after. */
  private supportEntity(ent: MergedEntity, chunkIndex: number, description: string): void {
    if (lastChunkOf(ent) === chunkIndex) return;
    if (ent.support.length < KEEP_DESCRIPTIONS) ent.support.push({ chunkIndex, description: description.slice(0, 2000) });
    else ent.more.chunks.push(chunkIndex);
  }

  private entity(key: string, name: string, type: string): MergedEntity {
    let e = this.entities.get(key);
    if (!e) {
      e = { key, name, type, support: [], more: { chunks: [] } };
      this.entities.set(key, e);
    } else if (e.type === 'unknown' && type !== 'unknown') e.type = type;
    return e;
  }
}
