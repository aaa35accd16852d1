import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppException } from '../common/app-exception';
import { AppConfig } from '../config/app-config';
import { DatabaseService } from '../database/database.service';
import { MetricsRepository } from './metrics.repository';

/** platform_settings key of the generated token's SHA-256 (the token itself is never stored). */
export const METRICS_TOKEN_HASH_KEY = 'metrics_token_sha256';

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Who may scrape GET /metrics (its labels name every tenant id and API key id).
 * METRICS_TOKEN set → that bearer token. METRICS_PUBLIC=true → anyone (opt-in).
 * Neither → a token generated at the first start, printed once in the log
 * (like the generated admin password) and kept only as a SHA-256 hash in
 * platform_settings, so every replica on the database and every restart accept
 * it. Lost it? Delete that row (or set METRICS_TOKEN) and restart.
 */
@Injectable()
export class MetricsAccess implements OnApplicationBootstrap {
  private readonly logger = new Logger('Metrics');
  private expectedHash: Buffer | null = null;

  constructor(
    private readonly config: AppConfig,
    private readonly db: DatabaseService,
    private readonly repo: MetricsRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { metricsToken, metricsPublic } = this.config.settings;
    if (metricsToken) {
      this.expectedHash = sha256(metricsToken);
      return;
    }
    if (metricsPublic) {
      this.logger.warn('METRICS_PUBLIC=true: GET /metrics (tenant and API key ids) answers without a token');
      return;
    }
    const token = `mt-${randomBytes(24).toString('base64url')}`;
    const stored = await this.db.withPlatform((db) => this.repo.storeTokenHashOnce(db, METRICS_TOKEN_HASH_KEY, sha256(token).toString('hex')));
    this.expectedHash = Buffer.from(stored.hash, 'hex');
    if (stored.created) {
      this.logger.warn(
        `generated METRICS_TOKEN ${token} — shown only this once; scrape GET /metrics with "Authorization: Bearer <token>" ` + '(or set METRICS_TOKEN, or METRICS_PUBLIC=true)',
      );
    }
  }

  /** Throws 401 unless the request may read the metrics. */
  check(authorization: string | undefined): void {
    if (this.config.settings.metricsPublic && !this.config.settings.metricsToken) return;
    const given = /^bearer\s+/i.test(authorization ?? '') ? authorization!.replace(/^bearer\s+/i, '').trim() : '';
    if (!given || !this.expectedHash || !timingSafeEqual(sha256(given), this.expectedHash)) {
      throw AppException.unauthenticated(
        'GET /metrics needs Authorization: Bearer <METRICS_TOKEN> (the token set in METRICS_TOKEN, or the one printed in the log at first start).',
      );
    }
  }
}
