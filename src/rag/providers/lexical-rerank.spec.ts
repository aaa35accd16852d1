import { lexicalRerank, termProfile } from './lexical-rerank';

describe('lexicalRerank', () => {
  const candidates = [
    { id: 'a', content: 'The city council met in the city hall of the city to discuss the city budget.', score: 0.9 },
    { id: 'b', content: 'The Huguenots settled near the Cape with help from the Dutch East India Company.', score: 0.6 },
    { id: 'c', content: 'Trading routes crossed the city.', score: 0.7 },
  ];

  it('puts the candidate with the rare query terms first and scales scores to [0, 1]', () => {
    const out = lexicalRerank('What trading company helped settle Huguenots near the Cape?', candidates);
    expect(out.map((c) => c.id)).toEqual(['b', 'c', 'a']);
    expect(out[0].score).toBe(1);
    for (const c of out) expect(c.score).toBeGreaterThanOrEqual(0);
    expect(candidates[0].score).toBe(0.9); // inputs untouched
  });

  it('keeps the vector order when the query shares no terms, and handles no candidates', () => {
    expect(lexicalRerank('zzz', candidates).map((c) => c.id)).toEqual(['a', 'c', 'b']);
    expect(lexicalRerank('anything', [])).toEqual([]);
  });
});

describe('lexicalRerank with keyOf (term profiles kept by chunk id)', () => {
  const texts = [
    'The Normans conquered England in 1066 under William.',
    'Normandy is a region of France; the Normans came from there.',
    'England had Anglo-Saxon kings before the conquest of 1066.',
  ];
  const candidates = texts.map((content, i) => ({ chunk_id: `00000000-0000-4000-8000-00000000000${i}`, content, score: 1 - i / 10 }));

  it('ranks exactly as without the cache, on the first query and on later ones served from it', () => {
    for (const q of ['When did the Normans conquer England?', 'Where is Normandy?', 'Anglo-Saxon kings', 'When did the Normans conquer England?']) {
      const plain = lexicalRerank(q, candidates);
      expect(lexicalRerank(q, candidates, { keyOf: (c) => c.chunk_id })).toEqual(plain);
      expect(lexicalRerank(q, candidates, { keyOf: (c) => c.chunk_id })).toEqual(plain);
    }
  });

  it('a term profile counts the stems of the non-stop words of its text', () => {
    const p = termProfile('The cats and the cat sat; cats sat.');
    expect(p.len).toBe(5);
    expect(Object.fromEntries(p.counts)).toEqual({ cat: 3, sat: 2 });
  });
});
