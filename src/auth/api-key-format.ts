import { createHmac, randomBytes } from 'node:crypto';

export const API_KEY_PREFIX = 'sk-';
/** sk- followed by 32 random bytes in base64url (43 characters). */
const KEY_SHAPE = /^sk-[A-Za-z0-9_-]{43}$/;

export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}

export function looksLikeApiKey(value: string): boolean {
  return KEY_SHAPE.test(value);
}

/** What a listing shows to identify a key: `sk-` and the first 8 characters of its secret. */
export function visiblePrefix(key: string): string {
  return key.slice(0, API_KEY_PREFIX.length + 8);
}

/**
 * HMAC-SHA256 with a server pepper. Keys carry 256 bits of entropy, so a fast
 * keyed hash is enough (no slow KDF on the hot path); the pepper keeps a stolen
 * table useless without the server's secret.
 */
export function hashApiKey(key: string, pepper: Buffer): Buffer {
  return createHmac('sha256', pepper).update(key, 'utf8').digest();
}
