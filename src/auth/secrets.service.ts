import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { deriveAuditChainKey } from '../audit/audit-chain';
import { AppConfig } from '../config/app-config';
import { DatabaseService } from '../database/database.service';

/** What DATA_DIR/secret.key holds (JSON, mode 0600). */
interface KeyFile {
  version: 1;
  /** 32 random bytes, base64url: the master key every server secret is derived from. */
  master: string;
  /** Secrets older versions kept in platform_settings, moved here so existing tokens and API keys stay valid. */
  legacy?: { token_secret?: string; api_key_pepper?: string };
}

const LEGACY_KEYS = ['token_secret', 'api_key_pepper'] as const;
export const KEY_FILE_NAME = 'secret.key';

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

/**
 * Server secrets, kept out of the database they protect (a dump of every
 * table must not let anyone mint a token or recompute key hashes):
 *  - the JWT signing secret: TOKEN_SECRET, else derived from the master key;
 *  - the API-key pepper: API_KEY_PEPPER, else derived from the master key;
 *  - the audit chain key: derived from TOKEN_SECRET when set, else from the
 *    master key.
 * The master key lives in DATA_DIR/secret.key, created at first start with
 * mode 0600; the server refuses to start when that file is readable by group
 * or others. With DATA_DIR=memory:// it lives in memory (like the database).
 * Secrets that older versions stored in platform_settings are moved into the
 * key file (so existing tokens and keys keep working) and deleted from the
 * database.
 */
@Injectable()
export class SecretsService implements OnModuleInit {
  private readonly logger = new Logger(SecretsService.name);
  tokenSecret!: string;
  apiKeyPepper!: Buffer;
  /** HMAC key for the audit hash chain (never stored in the database). */
  auditChainKey!: Buffer;

  constructor(
    private readonly config: AppConfig,
    private readonly db: DatabaseService,
  ) {}

  async onModuleInit(): Promise<void> {
    const s = this.config.settings;
    const legacy = await this.legacyFromDatabase();
    const needFile = !s.tokenSecret || !s.apiKeyPepper;
    const file = needFile || Object.keys(legacy).length ? this.keyFile(legacy) : null;
    const master = file ? Buffer.from(file.master, 'base64url') : null;
    this.tokenSecret = s.tokenSecret ?? file?.legacy?.token_secret ?? deriveKey(master!, 'jwt-signing').toString('base64url');
    const pepper = s.apiKeyPepper ?? file?.legacy?.api_key_pepper;
    this.apiKeyPepper = pepper !== undefined ? Buffer.from(pepper, 'utf8') : deriveKey(master!, 'api-key-pepper');
    this.auditChainKey = s.tokenSecret ? deriveAuditChainKey(s.tokenSecret) : deriveKey(master!, 'audit-chain');
    if (Object.keys(legacy).length && file && !this.inMemory) await this.deleteLegacy(Object.keys(legacy));
    if (needFile && s.databaseUrl && !this.inMemory) {
      this.logger.warn(
        `TOKEN_SECRET or API_KEY_PEPPER is not set: secrets come from ${this.keyPath}. With DATABASE_URL and several replicas, ` +
          'every replica must use this same file (copy it, mode 0600) or TOKEN_SECRET and API_KEY_PEPPER must be set; ' +
          'otherwise a replica refuses the tokens and API keys of the others',
      );
    }
  }

  private get inMemory(): boolean {
    return this.config.settings.dataDir.startsWith('memory://');
  }

  private get keyPath(): string {
    return resolve(this.config.settings.dataDir, KEY_FILE_NAME);
  }

  private memoryFile?: KeyFile;

  /** Reads (or creates) the key file, merging legacy secrets into it when it lacks them. */
  private keyFile(legacy: NonNullable<KeyFile['legacy']>): KeyFile {
    if (this.inMemory) {
      this.memoryFile ??= { version: 1, master: randomBytes(32).toString('base64url') };
      this.memoryFile.legacy = { ...legacy, ...this.memoryFile.legacy };
      if (Object.keys(legacy).length) this.logger.warn('secrets found in platform_settings are kept there: DATA_DIR=memory:// has no key file to move them to');
      return this.memoryFile;
    }
    const path = this.keyPath;
    let file = this.readKeyFile(path);
    let changed = false;
    if (!file) {
      file = { version: 1, master: randomBytes(32).toString('base64url') };
      changed = true;
      this.logger.log(`created the master key file ${path} (mode 0600); back it up with the data: tokens and API keys depend on it`);
    }
    // Legacy secrets are adopted only by the start that creates the key file (the upgrade): rows that
    // appear later (an old replica still running) must not replace the secrets in use; they are deleted.
    if (changed && Object.keys(legacy).length) file.legacy = { ...legacy };
    else if (Object.keys(legacy).length) this.logger.warn(`ignoring ${Object.keys(legacy).join(' and ')} found in platform_settings: ${path} already exists (are older replicas still running?)`);
    if (changed) this.writeKeyFile(path, file);
    return file;
  }

  private readKeyFile(path: string): KeyFile | null {
    return readKeyFile(path);
  }

  /** Written to a 0600 temporary file and renamed into place, so a crash never leaves half a key file. */
  private writeKeyFile(path: string, file: KeyFile): void {
    mkdirSync(this.config.settings.dataDir, { recursive: true, mode: 0o700 });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(file) + '\n', { mode: 0o600, flag: 'w' });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  }

  private async legacyFromDatabase(): Promise<NonNullable<KeyFile['legacy']>> {
    const rows: Array<{ key: string; value: string }> = await this.db.withPlatform((db) =>
      db.query(`SELECT key, value FROM platform_settings WHERE key = ANY($1::text[])`, [[...LEGACY_KEYS]]),
    );
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  private async deleteLegacy(keys: string[]): Promise<void> {
    await this.db.withPlatform((db) => db.query(`DELETE FROM platform_settings WHERE key = ANY($1::text[])`, [keys]));
    this.logger.warn(
      `moved ${keys.join(' and ')} from platform_settings into ${this.keyPath} and deleted them from the database ` +
        '(keep the key file with your backups)',
    );
  }
}
