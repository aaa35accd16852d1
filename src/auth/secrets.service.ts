import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AppConfig } from '../config/app-config';
import { DatabaseService } from '../database/database.service';
import { AuthRepository } from './auth.repository';
import { deriveAuditChainKey, deriveKey, KEY_FILE_NAME, KeyFile, readKeyFile } from './server-keys';

export { auditChainKeyFor, KEY_FILE_NAME } from './server-keys';

const LEGACY_KEYS = ['token_secret', 'api_key_pepper'] as const;

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
    private readonly repo: AuthRepository,
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
    else if (Object.keys(legacy).length)
      this.logger.warn(`ignoring ${Object.keys(legacy).join(' and ')} found in platform_settings: ${path} already exists (are older replicas still running?)`);
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
    const rows = await this.db.withPlatform((db) => this.repo.settings(db, LEGACY_KEYS));
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  private async deleteLegacy(keys: string[]): Promise<void> {
    await this.db.withPlatform((db) => this.repo.deleteSettings(db, keys));
    this.logger.warn(`moved ${keys.join(' and ')} from platform_settings into ${this.keyPath} and deleted them from the database ` + '(keep the key file with your backups)');
  }
}
