import type { ExtractedEntity, ExtractedRelation } from '../providers/provider.types';

/**
 * Support rows past this many per fact keep only their link (chunk, weight),
 * not their text: a fact's description shows at most a few descriptions
 * anyway, and a 20 MB document must not hold every sentence twice in memory.
 */
const KEEP_DESCRIPTIONS = 8;

/** How names are matched across chunks and documents: case and spacing do not make a new entity. */
export function entityKey(name: string): string {
  return name.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
}

export interface MergedEntity {
  key: string;
  name: string;
  type: string;
  support: Array<{ chunkIndex: number; description: string }>;
}

export interface MergedRelation {
  sourceKey: string;
  targetKey: string;
  sourceName: string;
  targetName: string;
  support: Array<{ chunkIndex: number; keywords: string; description: string; weight: number }>;
}

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
      if (ent.support.at(-1)?.chunkIndex === chunkIndex) continue; // one support row per (fact, chunk)
      ent.support.push({ chunkIndex, description: ent.support.length < KEEP_DESCRIPTIONS ? (e.description || e.name).slice(0, 2000) : '' });
    }
    for (const r of extracted.relations) {
      const a = entityKey(r.source ?? '');
      const b = entityKey(r.target ?? '');
      if (!a || !b || a === b || a.length > 500 || b.length > 500) continue;
      // An endpoint the extractor did not list as an entity still becomes a node (as LightRAG does).
      if (!this.entities.has(a)) this.entity(a, r.source.trim(), 'unknown').support.push({ chunkIndex, description: r.description || r.source });
      if (!this.entities.has(b)) this.entity(b, r.target.trim(), 'unknown').support.push({ chunkIndex, description: r.description || r.target });
      const [s, t] = a < b ? [a, b] : [b, a];
      const pair = `${s}\u0000${t}`;
      let rel = this.relations.get(pair);
      if (!rel) {
        rel = { sourceKey: s, targetKey: t, sourceName: this.entities.get(s)!.name, targetName: this.entities.get(t)!.name, support: [] };
        this.relations.set(pair, rel);
      }
      const weight = Number.isFinite(r.weight) && r.weight > 0 ? r.weight : 1;
      const last = rel.support.at(-1);
      if (last?.chunkIndex === chunkIndex) {
        last.weight += weight; // mentions within one chunk add up, as the support row would
        continue;
      }
      const full = rel.support.length < KEEP_DESCRIPTIONS;
      rel.support.push({ chunkIndex, keywords: full ? (r.keywords || '').slice(0, 500) : '', description: full ? (r.description || '').slice(0, 2000) : '', weight });
    }
  }

  private entity(key: string, name: string, type: string): MergedEntity {
    let e = this.entities.get(key);
    if (!e) {
      e = { key, name, type, support: [] };
      this.entities.set(key, e);
    } else if (e.type === 'unknown' && type !== 'unknown') e.type = type;
    return e;
  }
}
