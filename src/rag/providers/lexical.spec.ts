import { words } from './lexical';

/** The definition words() follows: WORD_RE over the folded, lowercased text, each match cut at its apostrophe. */
function byRegex(text: string): string[] {
  const folded = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();
  return [...folded.matchAll(/[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu)].map((m) => {
    const q = m[0].search(/['’]/);
    return q > 0 ? m[0].slice(0, q) : m[0];
  });
}

describe('words', () => {
  it('splits, lowercases and drops possessives', () => {
    expect(words("Alice's 3 cats, rock'n'roll — it's9 O'Neil")).toEqual(['alice', '3', 'cats', 'rock', 'roll', 'it', '9', 'o']);
    expect(words('Café Zürich naïve')).toEqual(['cafe', 'zurich', 'naive']);
  });

  it('gives on ASCII text exactly the words of the regex definition (its fast path), on 5 000 random strings', () => {
    const alphabet = "aZ9 '.,-_\n\t\x00\x7fbY0'";
    let seed = 42;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let i = 0; i < 5000; i++) {
      const text = Array.from({ length: Math.floor(rnd() * 40) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
      expect(words(text)).toEqual(byRegex(text));
    }
  });
});
