import { hkdfSync } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { KEY_FILE_NAME } from '../config/data-dir';

/**
 * The server's key material as pure functions: the key file's shape, the
 * HKDF derivations, and the audit chain key for tools that run beside the
 * server. SecretsService (the running server) and the audit chain both use
 * these; they import nothing from either.
 */

/** The audit chain key: HKDF-SHA256 of the token secret, so it never lives in the database next to the rows. */
export function deriveAuditChainKey(secret: string | Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'strata-audit-chain', 32));
}

/** What DATA_DIR/secret.key holds (JSON, mode 0600). */
export interface KeyFile {
  version: 1;
  /** 32 random bytes, base64url: the master key every server secret is derived from. */
  master: string;
  /** Secrets older versions kept in platform_settings, moved here so existing tokens and API keys stay valid. */
  legacy?: { token_secret?: string; api_key_pepper?: string };
}

export { KEY_FILE_NAME };

/** HKDF-SHA256 with a distinct label per use: one master key, independent secrets. */
export function deriveKey(master: Buffer | string, label: string): Buffer {
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `strata ${label} v1`, 32));
}

/** DATA_DIR/secret.key, checked (mode 0600, shape); null when it does not exist. */
export function readKeyFile(path: string): KeyFile | null {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
    throw new Error(
      `${path} is readable or writable by group or others (mode ${(st.mode & 0o777).toString(8)}): it holds the key that signs tokens. ` +
        `Run "chmod 600 ${path}" (owned by the user running the server) and start again.`,
    );
  }
  let parsed: KeyFile;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as KeyFile;
  } catch {
    throw new Error(`${path} is not a valid Strata key file; restore it from a backup (tokens and API keys depend on it).`);
  }
  if (parsed?.version !== 1 || typeof parsed.master !== 'string' || Buffer.from(parsed.master, 'base64url').length !== 32) {
    throw new Error(`${path} is not a valid Strata key file; restore it from a backup (tokens and API keys depend on it).`);
  }
  return parsed;
}

/**
 * The audit chain's HMAC key for tools that run beside the server (the
 * audit:verify script): derived exactly as SecretsService does, from
 * TOKEN_SECRET when set, else from DATA_DIR's key file. Null when neither exists.
 */
export function auditChainKeyFor(settings: { tokenSecret: string | null; dataDir: string }): Buffer | null {
  if (settings.tokenSecret) return deriveAuditChainKey(settings.tokenSecret);
  const file = settings.dataDir.startsWith('memory://') ? null : readKeyFile(resolve(settings.dataDir, KEY_FILE_NAME));
  return file ? deriveKey(Buffer.from(file.master, 'base64url'), 'audit-chain') : null;
}
