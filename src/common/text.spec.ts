import { collapseWhitespace, slugify } from './text';

describe('slugify', () => {
  it('lowercases and joins words with dashes', () => expect(slugify('Acme Corp.')).toBe('acme-corp'));
  it('strips accents', () => expect(slugify('Café Société')).toBe('cafe-societe'));
  it('never returns an empty slug', () => expect(slugify('!!!')).toBe('tenant'));
  it('caps the length at 60', () => expect(slugify('a'.repeat(500)).length).toBe(60));
});

describe('collapseWhitespace', () => {
  // Every character \s matches, a few that it does not (U+200B, U+180E, U+0085), letters and CJK.
  const alphabet = ['\t', '\n', '\v', '\f', '\r', ' ', '\u00a0', '\u1680', '\u2000', '\u2005', '\u200a', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\ufeff'];
  const others = ['\u200b', '\u180e', '\u0085', 'a', 'Z', '9', '漢', '|'];

  it('equals replace(/\\s+/g, " ") on 3 000 random strings of whitespace and other characters', () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let k = 0; k < 3000; k++) {
      const len = rand(40);
      let s = '';
      for (let i = 0; i < len; i++) s += rand(2) ? alphabet[rand(alphabet.length)] : others[rand(others.length)];
      expect(collapseWhitespace(s)).toBe(s.replace(/\s+/g, ' '));
    }
  });

  it('returns the same string when there is nothing to collapse, and handles a 4 MB run of U+2000', () => {
    expect(collapseWhitespace('')).toBe('');
    expect(collapseWhitespace('abc')).toBe('abc');
    expect(collapseWhitespace(`<${'\u2000'.repeat(4 * 1024 * 1024)}x`)).toBe('< x');
  });
});
