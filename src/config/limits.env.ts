import type { Settings } from './settings';
import { Env, IsIntegerEnv, IsNumberEnv, parseNumber } from './env.decorators';

const MB = 1024 * 1024;

/** Per-tenant rate limits and quotas, and the bounds of one upload. */
export class LimitsEnv {
  @Env() @IsIntegerEnv(1, 10_000_000) RATE_LIMIT_QUERIES_PER_MINUTE?: string;
  @Env() @IsIntegerEnv(1, 10_000_000) RATE_LIMIT_DOCUMENTS_PER_HOUR?: string;
  @Env() @IsIntegerEnv(1, 1_000_000_000) MAX_DOCUMENTS?: string;
  @Env() @IsNumberEnv(0.000001, 1_000_000) MAX_STORAGE_GB?: string;
  @Env() @IsIntegerEnv(1, 1_000_000) MAX_KB_PER_TENANT?: string;
  @Env() @IsIntegerEnv(1, 4096) MAX_UPLOAD_MB?: string;
  @Env() @IsIntegerEnv(1, 4096) MAX_EXTRACTED_MB?: string;
  @Env() @IsIntegerEnv(1, 1_000_000) MAX_PDF_PAGES?: string;
  @Env() @IsIntegerEnv(1, 3600) PARSE_TIMEOUT_S?: string;

  toSettings(): Pick<
    Settings,
    | 'rateLimitQueriesPerMinute'
    | 'rateLimitDocumentsPerHour'
    | 'maxDocuments'
    | 'maxStorageGb'
    | 'maxKbPerTenant'
    | 'maxUploadBytes'
    | 'maxExtractedBytes'
    | 'maxPdfPages'
    | 'parseTimeoutMs'
  > {
    return {
      rateLimitQueriesPerMinute: parseNumber(this.RATE_LIMIT_QUERIES_PER_MINUTE, 100),
      rateLimitDocumentsPerHour: parseNumber(this.RATE_LIMIT_DOCUMENTS_PER_HOUR, 1000),
      maxDocuments: parseNumber(this.MAX_DOCUMENTS, 10000),
      maxStorageGb: parseNumber(this.MAX_STORAGE_GB, 10),
      maxKbPerTenant: parseNumber(this.MAX_KB_PER_TENANT, 50),
      maxUploadBytes: parseNumber(this.MAX_UPLOAD_MB, 50) * MB,
      maxExtractedBytes: parseNumber(this.MAX_EXTRACTED_MB, 20) * MB,
      maxPdfPages: parseNumber(this.MAX_PDF_PAGES, 2000),
      parseTimeoutMs: parseNumber(this.PARSE_TIMEOUT_S, 60) * 1000,
    };
  }
}
