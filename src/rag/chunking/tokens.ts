interface Cl100kModule {
  encode(text: string, options: { allowedSpecial: Set<string>; disallowedSpecial: Set<string> }): number[];
  decode(tokens: Iterable<number>): string;
  setMergeCacheSize(size: number): void;
  default: { bytePairEncodingCoreProcessor?: { tryDecodeToken(token: number): string | Uint8Array | undefined } };
}
// The encoding subpath is declared through package "exports", which this
// project's CommonJS module resolution does not read for types; its shape is above.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const cl100k: Cl100kModule = require('gpt-tokenizer/encoding/cl100k_base');

/**
 * cl100k_base tokens, through gpt-tokenizer (pure JS, the same token ids as
 * OpenAI's tiktoken; ~3× faster than js-tiktoken on prose here).
 *
 * Untrusted text is made safe for BPE first. Every BPE implementation merges
 * within one pre-tokenizer piece in time quadratic in the piece's length, and
 * a piece is a whole run of letters, of whitespace or of punctuation: an
 * 8 000-letter "word" took seconds, 100 MB of one letter forever. So a run of
 * one character class longer than MAX_RUN code points is cut every MAX_RUN
 * code points and each cut piece is encoded on its own. Text without such
 * runs (all real prose: no English word, CJK sentence or whitespace run comes
 * near 256 characters) encodes exactly as before; a longer run gets a few
 * different tokens near its cuts. The cost per character is then bounded by a
 * constant (measured: ~3 µs per CJK character at worst, ~0.15 µs on prose).
 */
export const MAX_RUN = 256;

/** Pieces whose BPE result is memoised by gpt-tokenizer; each is ≤ MAX_RUN chars, so this bounds that cache. */
cl100k.setMergeCacheSize(20_000);

const ENCODE_OPTIONS = { allowedSpecial: new Set<string>(), disallowedSpecial: new Set<string>() };

/** 0 digit (cl100k already splits digits by 3), 1 letter, 2 whitespace, 3 anything else. */
function charClass(cp: number): number {
  if (cp < 128) {
    if ((cp >= 65 && cp <= 90) || (cp >= 97 && cp <= 122)) return 1;
    if (cp >= 48 && cp <= 57) return 0;
    if (cp === 32 || (cp >= 9 && cp <= 13)) return 2;
    return 3;
  }
  const ch = String.fromCodePoint(cp);
  return LETTER.test(ch) ? 1 : NUMBER.test(ch) ? 0 : SPACE.test(ch) ? 2 : 3;
}
const LETTER = /\p{L}/u;
const NUMBER = /\p{N}/u;
const SPACE = /\s/u;

/**
 * `text` cut before every MAX_RUN-th code point of a run of one character
 * class (letters, whitespace, other non-digits). One linear pass; yields the
 * text itself when it has no such run.
 */
export function* boundedPieces(text: string): Generator<string> {
  let start = 0;
  let run = 0;
  let prev = -1;
  for (let i = 0; i < text.length;) {
    const cp = text.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
    const cls = charClass(cp);
    if (cls === prev && cls !== 0) {
      if (++run >= MAX_RUN) {
        yield text.slice(start, i);
        start = i;
        run = 0;
      }
    } else {
      prev = cls;
      run = 0;
    }
    i += width;
  }
  yield start === 0 ? text : text.slice(start);
}

/**
 * cl100k_base tokens of `text`, linear in its length whatever it holds (see
 * MAX_RUN). Special-token strings such as "<|endoftext|>" are ordinary text.
 */
export function encodeText(text: string): number[] {
  if (!text) return [];
  let out: number[] | null = null;
  for (const piece of boundedPieces(text)) {
    const toks = cl100k.encode(piece, ENCODE_OPTIONS);
    if (out === null) out = toks;
    else for (const t of toks) out.push(t);
  }
  return out ?? [];
}

/** Text of a token sequence. */
export function decodeTokens(tokens: number[]): string {
  return cl100k.decode(tokens);
}

/** Number of cl100k_base tokens in `text` (what OpenAI models would bill, roughly); linear like encodeText. */
export function countTokens(text: string): number {
  if (!text) return 0;
  return encodeText(text).length;
}

const core = cl100k.default.bytePairEncodingCoreProcessor;

/**
 * Whether a token starts in the middle of a UTF-8 character (its first byte is
 * a continuation byte). Used to keep chunk edges on character boundaries;
 * `false` when unknown ("assume the edge is clean"). A token the decoder
 * keeps as a string is whole characters.
 */
export function startsMidCharacter(token: number): boolean {
  const value = core?.tryDecodeToken(token);
  return value instanceof Uint8Array && value.length > 0 && (value[0] & 0xc0) === 0x80;
}
