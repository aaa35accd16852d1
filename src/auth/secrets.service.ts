import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { deriveAuditChainKey } from '../audit/audit-chain';
import { DatabaseService } from '../database/database.service';

/**
 * Server secrets: from the environment when given (TOKEN_SECRET, API_KEY_PEPPER),
 * otherwise generated once and kept in the database, so tokens and key hashes
 * survive restarts and are shared by every replica on the same database.
 */
@Injectable()
export class SecretsService implements OnModuleInit {
  private readonly logger = new Logger(SecretsService.name);
  tokenSecret!: string;
  apiKeyPepper!: Buffer;
  /** HMAC key of the audit chain (HKDF of the token secret, info "strata-audit-chain"); never stored. */
  auditChainKey!: Buffer;

  constructor(
    private readonly config: AppConfig,
    private readonly db: DatabaseService,
  ) {}

  async onModuleInit(): Promise<void> {
    const s = this.config.settings;
    this.tokenSecret = s.tokenSecret ?? (await this.stored('token_secret'));
    if (!s.tokenSecret) this.logger.warn('TOKEN_SECRET is not set: using a generated secret kept in the database');
    this.auditChainKey = deriveAuditChainKey(this.tokenSecret);
    this.apiKeyPepper = Buffer.from(s.apiKeyPepper ?? (await this.stored('api_key_pepper')), 'utf8');
  }

  private async stored(key: string): Promise<string> {
    return this.db.withPlatform(async (db) => {
      await db.query(`INSERT INTO platform_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, [
        key,
        randomBytes(48).toString('base64url'),
      ]);
      const rows: Array<{ value: string }> = await db.query(`SELECT value FROM platform_settings WHERE key = $1`, [key]);
      return rows[0].value;
    });
  }
}
