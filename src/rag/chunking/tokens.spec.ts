// eslint-disable-next-line @typescript-eslint/no-require-imports
const { encode } = require('gpt-tokenizer/encoding/cl100k_base');
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chunkText } from './chunker';
import { boundedPieces, countTokens, decodeTokens, encodeText, MAX_RUN } from './tokens';

const ordinary = { allowedSpecial: new Set<string>(), disallowedSpecial: new Set<string>() };
const codePoints = (s: string) => Array.from(s).length;

/** Strings that are one pre-tokenizer piece, which BPE merges in quadratic time. */
const HOSTILE: Record<string, (n: number) => string> = {
  letters: (n) => 'a'.repeat(n),
  'mixed letters': (n) => 'abcdefghijklmnopqrstuvwxyz'.repeat(Math.ceil(n / 26)).slice(0, n),
  cjk: (n) => '漢字仮名交じり文中国語日本'.repeat(Math.ceil(n / 13)).slice(0, n),
  whitespace: (n) => ' \t'.repeat(n / 2) + 'x',
  punctuation: (n) => '!@#$%^&*()[]{}<>'.repeat(n / 16),
  emoji: (n) => '😀'.repeat(n / 2),
};

describe('cl100k tokens of untrusted text', () => {
  it('encodes prose exactly as an unsplit cl100k_base encoding does', () => {
    const prose = readFileSync(join(__dirname, '../../../README.md'), 'utf8');
    expect(encodeText(prose)).toEqual(encode(prose, ordinary));
    expect(decodeTokens(encodeText(prose))).toBe(prose);
  });

  it.each(Object.keys(HOSTILE))('cuts a %s run into pieces of at most MAX_RUN code points that rejoin to the text', (kind) => {
    const text = HOSTILE[kind](20_000);
    const pieces = [...boundedPieces(text)];
    expect(pieces.join('')).toBe(text);
    expect(Math.max(...pieces.map(codePoints))).toBeLessThanOrEqual(MAX_RUN + 1);
    expect(decodeTokens(encodeText(text))).toBe(text);
  });

  it('keeps a piece whole when its runs are shorter than MAX_RUN (real words, digits)', () => {
    const text = `${'a'.repeat(MAX_RUN - 1)} ${'7'.repeat(5000)} done`;
    expect([...boundedPieces(text)]).toEqual([text]);
  });

  // Before the cut, one 8 000-letter word took ~6 s and 1 MB never finished;
  // the whole megabyte of each class must now encode (Jest's timeout is the bound).
  it.each(Object.keys(HOSTILE))('encodes a 1 MB %s run', (kind) => {
    const text = HOSTILE[kind](1_000_000);
    const n = countTokens(text);
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThanOrEqual(Buffer.byteLength(text, 'utf8'));
  });

  it('chunks a 1 MB single word into windows of the asked size that rejoin to it', () => {
    const text = 'x'.repeat(1_000_000);
    const chunks = chunkText(text, { chunkTokenSize: 1200, overlapTokenSize: 0 });
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.every((c) => c.tokens <= 1200)).toBe(true);
    expect(chunks.map((c) => c.content).join('')).toBe(text);
  });
});
