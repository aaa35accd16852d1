import { AppException } from '../../common/app-exception';
import { decodeTokens, encodeText, startsMidCharacter } from './tokens';

/**
 * Token-based chunking, as LightRAG's `chunking_by_token_size`: the text is
 * encoded with cl100k_base and cut into windows of `chunkTokenSize` tokens that
 * start every `chunkTokenSize - overlapTokenSize` tokens; the last windows may
 * be shorter. Every window start < token count yields a chunk.
 *
 * One refinement over LightRAG: a window edge that would fall inside a
 * multi-byte UTF-8 character (cl100k tokens are byte-level, so CJK text or
 * emoji can be split mid-character) is moved back to the start of that
 * character, so no chunk contains U+FFFD garbage and no character is lost.
 * Such a chunk may hold up to 3 tokens more than `chunkTokenSize` (it starts
 * at most 3 tokens early); text of ASCII or whole-token characters is exact.
 */
export interface ChunkOptions {
  chunkTokenSize?: number;
  overlapTokenSize?: number;
  /** chunkStream only: where the text is encoded (ingestion passes its worker threads); this thread by default. */
  encode?: (text: string) => Promise<number[]>;
}

export interface TextChunk {
  index: number;
  content: string;
  tokens: number;
}

interface ResolvedOptions {
  size: number;
  step: number;
}

function resolveOptions(opts: ChunkOptions = {}): ResolvedOptions {
  const size = opts.chunkTokenSize ?? 1200;
  const overlap = opts.overlapTokenSize ?? 100;
  if (!Number.isInteger(size) || size < 1) {
    throw AppException.validation(`chunkTokenSize must be a positive integer, got ${size}.`);
  }
  if (!Number.isInteger(overlap) || overlap < 0) {
    throw AppException.validation(`overlapTokenSize must be a non-negative integer, got ${overlap}.`);
  }
  if (overlap >= size) {
    throw AppException.validation(`overlapTokenSize (${overlap}) must be smaller than chunkTokenSize (${size}).`);
  }
  return { size, step: size - overlap };
}

/** At most this many tokens back to reach the first byte of a UTF-8 character (a char is ≤ 4 bytes). */
const MAX_EDGE_SHIFT = 4;

function isContinuationStart(token: number): boolean {
  return startsMidCharacter(token);
}

/**
 * Moves a window edge (absolute token index) back while the token at it starts
 * in the middle of a character. `at(i)` reads the token at absolute index i.
 */
function cleanEdge(edge: number, total: number, at: (i: number) => number, floor: number): number {
  let e = edge;
  for (let k = 0; k < MAX_EDGE_SHIFT && e > floor && e < total && isContinuationStart(at(e)); k++) e--;
  return e < total && isContinuationStart(at(e)) ? edge : e;
}

function window(start: number, size: number, total: number, at: (i: number) => number, floor: number): { from: number; to: number } {
  const from = start === 0 ? 0 : cleanEdge(start, total, at, floor);
  let to = Math.min(start + size, total);
  if (to < total) to = cleanEdge(to, total, at, from + 1);
  return { from, to };
}

/** Splits `text` into overlapping token windows. Empty or whitespace-only text yields no chunks. */
export function chunkText(text: string, opts?: ChunkOptions): TextChunk[] {
  const { size, step } = resolveOptions(opts);
  if (!text || text.trim() === '') return [];
  const tokens = encodeText(text);
  const at = (i: number) => tokens[i];
  const out: TextChunk[] = [];
  for (let start = 0; start < tokens.length; start += step) {
    const { from, to } = window(start, size, tokens.length, at, 0);
    const slice = tokens.slice(from, to);
    const content = decodeTokens(slice).trim();
    // A window of only whitespace (possible in padded text) is not a chunk.
    if (content) out.push({ index: out.length, content, tokens: slice.length });
  }
  return out;
}

/**
 * Characters of text held before tokenising a piece of it. Larger batches mean
 * fewer encode calls; the memory bound is this plus a few chunks of tokens.
 */
const TEXT_BATCH = 64 * 1024;
/** Without a safe cut point (e.g. one 1 MB "word"), tokenise anyway at this size. */
const FORCE_CUT = 1024 * 1024;

/**
 * Last index in `buf` (before `limit`) where cl100k's pre-tokeniser is known to
 * start a new piece whatever follows, so encoding the prefix and the rest
 * separately gives exactly the tokens of encoding them together:
 * - a letter right after a line break (`\n` ends its piece; a letter starts one);
 * - a space between two letters ("foo bar" → "foo" | " bar").
 * Returns -1 when there is none.
 */
function lastSafeCut(buf: string, limit: number): number {
  const isLetter = (c: string) => /\p{L}/u.test(c);
  for (let i = Math.min(limit, buf.length - 2); i > 0; i--) {
    const c = buf[i];
    if ((buf[i - 1] === '\n' || buf[i - 1] === '\r') && isLetter(c) && !isLowSurrogate(c)) return i;
    if (c === ' ' && isLetter(buf[i - 1]) && isLetter(buf[i + 1])) return i;
  }
  return -1;
}

function isLowSurrogate(c: string): boolean {
  const code = c.charCodeAt(0);
  return code >= 0xdc00 && code <= 0xdfff;
}

/**
 * Streaming `chunkText` for large files: reads text pieces, tokenises them in
 * ~64 KB batches cut at pre-tokeniser piece boundaries, and emits each chunk
 * as soon as its window is complete. It holds one text batch plus about one
 * window of tokens, whatever the file size.
 *
 * It yields exactly the chunks `chunkText` yields on the concatenated input,
 * with one documented exception: a single run of more than 1 MB without a
 * space-between-letters or newline-before-letter (no real prose does this)
 * is cut where it is, which may tokenise a few tokens differently there.
 * (Contents are trimmed like chunkText's.)
 */
export async function* chunkStream(source: AsyncIterable<string> | Iterable<string>, opts?: ChunkOptions): AsyncGenerator<TextChunk> {
  const { size, step } = resolveOptions(opts);
  let carry = '';
  /** Tokens from absolute index `base` on. */
  let buf: number[] = [];
  let base = 0;
  let nextStart = 0;
  let index = 0;

  const at = (i: number) => buf[i - base];

  function* emitReady(final: boolean): Generator<TextChunk> {
    const total = base + buf.length;
    // A window [start, start+size) is final once the tokens after it are known
    // (its end edge may look one token ahead), or at the end of input.
    while (nextStart < total && (final || nextStart + size < total)) {
      const { from, to } = window(nextStart, size, total, at, base);
      const slice = buf.slice(from - base, to - base);
      const content = decodeTokens(slice).trim();
      if (content) yield { index: index++, content, tokens: slice.length };
      nextStart += step;
      // Keep a few tokens before the next window start: its edge may move back.
      const keepFrom = Math.max(base, nextStart - MAX_EDGE_SHIFT);
      if (keepFrom > base) {
        buf = buf.slice(keepFrom - base);
        base = keepFrom;
      }
    }
  }

  const encode = opts?.encode ?? (async (text: string) => encodeText(text));
  const absorb = async (text: string) => {
    if (!text) return;
    const toks = await encode(text);
    for (const t of toks) buf.push(t);
  };

  for await (const piece of source as AsyncIterable<string>) {
    if (!piece) continue;
    carry += piece;
    while (carry.length >= TEXT_BATCH) {
      let cut = lastSafeCut(carry, carry.length - 2);
      if (cut <= 0) {
        if (carry.length < FORCE_CUT) break;
        cut = carry.length;
      }
      const head = carry.slice(0, cut);
      carry = carry.slice(cut);
      await absorb(head);
      yield* emitReady(false);
    }
  }
  await absorb(carry);
  yield* emitReady(true);
}
