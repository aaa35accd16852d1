import { entitySupportRows, relationSupportRows } from '../storage/fact-support';
import { entityKey, ExtractionMerger, KEEP_DESCRIPTIONS } from './extraction-merge';

describe('ExtractionMerger (one document’s facts)', () => {
  it('matches entity names across case and spacing, keeping the first spelling', () => {
    const m = new ExtractionMerger();
    m.add(0, { entities: [{ name: 'Marie  Curie', type: 'person', description: 'A physicist.' }], relations: [] });
    m.add(1, { entities: [{ name: 'marie curie', type: 'person', description: 'Won two Nobel prizes.' }], relations: [] });
    expect(entityKey(' Marie  CURIE ')).toBe('marie curie');
    expect([...m.entities.values()]).toEqual([
      {
        key: 'marie curie',
        name: 'Marie  Curie',
        type: 'person',
        support: [
          { chunkIndex: 0, description: 'A physicist.' },
          { chunkIndex: 1, description: 'Won two Nobel prizes.' },
        ],
        more: { chunks: [] },
      },
    ]);
  });

  it('stores a relation once per unordered pair, adds missing endpoints, sums weights within a chunk', () => {
    const m = new ExtractionMerger();
    const rel = (source: string, target: string, weight: number) => ({ source, target, keywords: 'met', description: `${source} met ${target}`, weight });
    m.add(0, { entities: [{ name: 'Ada', type: 'person', description: 'Ada.' }], relations: [rel('Ada', 'Babbage', 1), rel('Babbage', 'Ada', 2)] });
    m.add(1, { entities: [], relations: [rel('ada', 'babbage', 1), rel('Ada', 'Ada', 5)] });
    expect([...m.entities.keys()].sort()).toEqual(['ada', 'babbage']);
    const [r] = [...m.relations.values()];
    expect(m.relations.size).toBe(1);
    expect(r.support.map((s) => [s.chunkIndex, s.weight])).toEqual([
      [0, 3],
      [1, 1],
    ]);
  });

  it('keeps the text of only the first 8 mentions of a fact (memory bound), and every link, packed', () => {
    const m = new ExtractionMerger();
    for (let i = 0; i < 20; i++) m.add(i, { entities: [{ name: 'Oslo', type: 'place', description: `mention ${i}` }], relations: [] });
    const oslo = m.entities.get('oslo')!;
    expect(KEEP_DESCRIPTIONS).toBe(8);
    expect(oslo.support).toHaveLength(8);
    expect(oslo.more.chunks).toEqual([8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    const rows = [...entitySupportRows(oslo)];
    expect(rows.map((r) => r.chunkIndex)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(rows.filter((s) => s.description !== '')).toHaveLength(8);
    expect(rows[8]).toEqual({ chunkIndex: 8, description: '' });
  });

  it('past the described rows, a relation still gets one row per chunk, with weights summed within a chunk', () => {
    const m = new ExtractionMerger();
    const rel = (weight: number) => ({ source: 'Ada', target: 'Babbage', keywords: 'met', description: 'Ada met Babbage', weight });
    for (let i = 0; i < 12; i++) m.add(i, { entities: [], relations: [rel(1), rel(i === 10 ? 4 : 0)] }); // weight 0 counts as 1
    const [r] = [...m.relations.values()];
    expect(r.support).toHaveLength(8);
    expect(r.more).toEqual({ chunks: [8, 9, 10, 11], weights: [2, 2, 5, 2] });
    const rows = [...relationSupportRows(r)];
    expect(rows).toHaveLength(12);
    expect(rows[10]).toEqual({ chunkIndex: 10, keywords: '', description: '', weight: 5 });
    expect(rows[0]).toEqual({ chunkIndex: 0, keywords: 'met', description: 'Ada met Babbage', weight: 2 });
    // An endpoint first seen in a relation is an entity supported by that chunk.
    expect([...entitySupportRows(m.entities.get('babbage')!)].map((s) => s.chunkIndex)).toEqual([0]);
  });
});
