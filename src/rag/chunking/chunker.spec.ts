import { chunkStream, chunkText } from './chunker';
import { countTokens } from './tokens';

const para = (i: number) =>
  `Paragraph ${i}. The Normans were the people who in the 10th and 11th centuries gave their name to Normandy, a region in France. ` +
  `They were descended from Norse raiders and pirates from Denmark, Iceland and Norway.  Trailing   spaces\tand tabs!\n\n`;

async function collect(source: Iterable<string> | AsyncIterable<string>, opts?: Parameters<typeof chunkText>[1]) {
  const out = [];
  for await (const c of chunkStream(source, opts)) out.push(c);
  return out;
}

function* pieces(text: string, size: number) {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

describe('chunkText', () => {
  it('returns no chunks for empty or blank text', () => {
    expect(chunkText('')).toEqual([]);
    expect(chunkText('   \n\t ')).toEqual([]);
  });

  it('keeps short text in one chunk with its token count', () => {
    const [c, ...rest] = chunkText('Hello world, this is Strata.');
    expect(rest).toHaveLength(0);
    expect(c).toEqual({ index: 0, content: 'Hello world, this is Strata.', tokens: countTokens('Hello world, this is Strata.') });
  });

  it('cuts windows of chunkTokenSize that start every size - overlap tokens', () => {
    const text = Array.from({ length: 40 }, (_, i) => para(i)).join('');
    const total = countTokens(text);
    const chunks = chunkText(text, { chunkTokenSize: 200, overlapTokenSize: 50 });
    expect(chunks).toHaveLength(Math.ceil(total / 150));
    chunks.forEach((c, i) => expect(c.index).toBe(i));
    chunks.slice(0, -2).forEach((c) => expect(c.tokens).toBe(200));
    expect(chunks[chunks.length - 1].tokens).toBe(total - 150 * (chunks.length - 1));
    // The overlap: the end of one chunk is the beginning of the next.
    const tail = chunks[0].content.slice(-60);
    expect(chunks[1].content).toContain(tail.trim().slice(0, 40));
  });

  it('without overlap, the chunks put back together are the text', () => {
    const text = Array.from({ length: 10 }, (_, i) => para(i)).join('');
    const chunks = chunkText(text, { chunkTokenSize: 64, overlapTokenSize: 0 });
    const squash = (s: string) => s.replace(/\s+/g, '');
    expect(squash(chunks.map((c) => c.content).join(''))).toBe(squash(text));
  });

  it('never splits a multi-byte character (CJK, emoji)', () => {
    const text = '東京は日本の首都です。🎉🎉 Ünïcödé façade naïve — 北京是中国的首都。'.repeat(30);
    const chunks = chunkText(text, { chunkTokenSize: 7, overlapTokenSize: 0 });
    for (const c of chunks) {
      expect(c.content).not.toContain('\uFFFD');
      expect(c.tokens).toBeLessThanOrEqual(7 + 3);
    }
    const squash = (s: string) => s.replace(/\s+/g, '');
    expect(squash(chunks.map((c) => c.content).join(''))).toBe(squash(text));
  });

  it("treats special-token strings such as <|endoftext|> as ordinary text (a tokenizer's default special-token check throws on them)", () => {
    const text = 'before <|endoftext|> middle <|im_start|> after';
    const chunks = chunkText(text, { chunkTokenSize: 1200, overlapTokenSize: 0 });
    expect(chunks.map((c) => c.content)).toEqual([text]);
    expect(countTokens(text)).toBe(chunks[0].tokens);
  });

  it('rejects an overlap that is not smaller than the size', () => {
    expect(() => chunkText('x', { chunkTokenSize: 100, overlapTokenSize: 100 })).toThrow(/overlapTokenSize/);
    expect(() => chunkText('x', { chunkTokenSize: 0 })).toThrow(/chunkTokenSize/);
  });
});

describe('chunkStream', () => {
  it('yields exactly the chunks of chunkText, whatever the piece sizes', async () => {
    const text = Array.from({ length: 900 }, (_, i) => para(i)).join('') + 'Schluss. 東京🎉 end';
    const expected = chunkText(text, { chunkTokenSize: 300, overlapTokenSize: 30 });
    for (const pieceSize of [7, 4096, 100_000]) {
      const got = await collect(pieces(text, pieceSize), { chunkTokenSize: 300, overlapTokenSize: 30 });
      expect(got).toEqual(expected);
    }
  });

  it('matches chunkText on one long line without newlines and on CJK text', async () => {
    const line = 'word '.repeat(20_000) + 'end';
    expect(await collect(pieces(line, 1000), { chunkTokenSize: 500, overlapTokenSize: 20 })).toEqual(chunkText(line, { chunkTokenSize: 500, overlapTokenSize: 20 }));
    const cjk = '東京は日本の首都です。\n北京是中国的首都。\n'.repeat(1500);
    expect(await collect(pieces(cjk, 777), { chunkTokenSize: 50, overlapTokenSize: 5 })).toEqual(chunkText(cjk, { chunkTokenSize: 50, overlapTokenSize: 5 }));
  });

  it('yields nothing for an empty or blank source', async () => {
    expect(await collect([])).toEqual([]);
    expect(await collect(['  ', '\n'])).toEqual([]);
  });

  it('validates its options before reading', async () => {
    await expect(collect(['x'], { chunkTokenSize: 10, overlapTokenSize: 10 })).rejects.toThrow(/overlapTokenSize/);
  });
});
