import { lexicalRerank } from './lexical-rerank';

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
