import { entityKey, ExtractionMerger } from './extraction-merge';

describe('ExtractionMerger (one document’s facts)', () => {
  it('matches entity names across case and spacing, keeping the first spelling', () => {
    const m = new ExtractionMerger();
    m.add(0, { entities: [{ name: 'Marie  Curie', type: 'person', description: 'A physicist.' }], relations: [] });
    m.add(1, { entities: [{ name: 'marie curie', type: 'person', description: 'Won two Nobel prizes.' }], relations: [] });
    expect(entityKey(' Marie  CURIE ')).toBe('marie curie');
    expect([...m.entities.values()]).toEqual([
      { key: 'marie curie', name: 'Marie  Curie', type: 'person', support: [{ chunkIndex: 0, description: 'A physicist.' }, { chunkIndex: 1, description: 'Won two Nobel prizes.' }] },
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

  it('keeps the text of only the first 8 mentions of a fact (memory bound), and every link', () => {
    const m = new ExtractionMerger();
    for (let i = 0; i < 20; i++) m.add(i, { entities: [{ name: 'Oslo', type: 'place', description: `mention ${i}` }], relations: [] });
    const oslo = m.entities.get('oslo')!;
    expect(oslo.support).toHaveLength(20);
    expect(oslo.support.filter((s) => s.description !== '')).toHaveLength(8);
  });
});
