import { Tiktoken, TiktokenBPE } from 'js-tiktoken/lite';

// The ranks subpath has no types under this project's moduleResolution; its shape is TiktokenBPE.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ranksModule = require('js-tiktoken/ranks/cl100k_base');
const cl100kBase: TiktokenBPE = ranksModule.default ?? ranksModule;

/**
 * The one cl100k_base encoder of the process. Building it parses ~1.6 MB of
 * ranks (≈0.5 s), so it is created lazily, once, and shared by the chunker and
 * every token count (usage of local providers, prompt budgets).
 */
let encoder: Tiktoken | null = null;

export function cl100k(): Tiktoken {
  if (encoder === null) encoder = new Tiktoken(cl100kBase);
  return encoder;
}

/**
 * cl100k_base tokens of `text`, where special-token strings such as
 * "<|endoftext|>" are ordinary text. js-tiktoken's default refuses them by
 * throwing (a document or query quoting one would fail), and builds a regex
 * of every special token on each call to check.
 */
export function encodeText(text: string): number[] {
  return cl100k().encode(text, [], []);
}

/** Number of cl100k_base tokens in `text` (what OpenAI models would bill, roughly). */
export function countTokens(text: string): number {
  if (!text) return 0;
  return encodeText(text).length;
}

/**
 * The raw bytes of one token, when the encoder exposes them (js-tiktoken keeps
 * them in a public `textMap`). Used to keep chunk edges on UTF-8 character
 * boundaries; `null` means "unknown, assume the edge is clean".
 */
export function tokenBytes(token: number): Uint8Array | null {
  const map = (cl100k() as unknown as { textMap?: Map<number, Uint8Array> }).textMap;
  return map?.get(token) ?? null;
}
