import { ExtractedEntity, ExtractedRelation, QueryKeywords } from './provider.types';

/** Parses a model's JSON answer, tolerating code fences and prose around the object. */
export function parseJsonObject(text: string): unknown {
  const t = text
    .trim()
    .replace(/^```(?:json)?\s*/i, '')
    .replace(/\s*```$/, '');
  try {
    return JSON.parse(t);
  } catch {
    const start = t.indexOf('{');
    const end = t.lastIndexOf('}');
    if (start >= 0 && end > start) {
      try {
        return JSON.parse(t.slice(start, end + 1));
      } catch {
        return undefined;
      }
    }
    return undefined;
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : null);

/**
 * Checks the extraction shape. Returns null when the top-level shape is wrong
 * (→ a corrective retry); individual bad items are dropped, entities named by
 * a relation but missing from the list are added as type "concept".
 */
export function validateExtraction(value: unknown): { entities: ExtractedEntity[]; relations: ExtractedRelation[] } | null {
  if (!isObj(value) || !Array.isArray(value.entities) || (value.relations !== undefined && !Array.isArray(value.relations))) return null;
  const entities: ExtractedEntity[] = [];
  const seen = new Map<string, ExtractedEntity>();
  for (const e of value.entities) {
    if (!isObj(e)) continue;
    const name = str(e.name);
    if (!name) continue;
    const key = name.toLowerCase();
    const ent = { name, type: (str(e.type) || 'concept').toLowerCase(), description: str(e.description) ?? '' };
    const prev = seen.get(key);
    if (prev) {
      if (ent.description && !prev.description.includes(ent.description)) prev.description = [prev.description, ent.description].filter(Boolean).join(' ');
      continue;
    }
    seen.set(key, ent);
    entities.push(ent);
  }
  const relations: ExtractedRelation[] = [];
  for (const r of (value.relations as unknown[] | undefined) ?? []) {
    if (!isObj(r)) continue;
    const source = str(r.source);
    const target = str(r.target);
    if (!source || !target || source.toLowerCase() === target.toLowerCase()) continue;
    const w = typeof r.weight === 'number' ? r.weight : Number(r.weight);
    const keywords = Array.isArray(r.keywords) ? r.keywords.map(String).join(', ') : (str(r.keywords) ?? '');
    for (const n of [source, target]) {
      if (!seen.has(n.toLowerCase())) {
        const ent = { name: n, type: 'concept', description: '' };
        seen.set(n.toLowerCase(), ent);
        entities.push(ent);
      }
    }
    relations.push({
      source: seen.get(source.toLowerCase())!.name,
      target: seen.get(target.toLowerCase())!.name,
      keywords,
      description: str(r.description) ?? '',
      weight: Number.isFinite(w) && w > 0 ? w : 1,
    });
  }
  return { entities, relations };
}

export function validateKeywords(value: unknown): QueryKeywords | null {
  if (!isObj(value)) return null;
  const list = (v: unknown): string[] | null => (v === undefined ? [] : Array.isArray(v) ? v.map((x) => str(x)).filter((x): x is string => !!x) : null);
  const highLevel = list(value.high_level_keywords);
  const lowLevel = list(value.low_level_keywords);
  if (highLevel === null || lowLevel === null) return null;
  return { highLevel, lowLevel };
}
