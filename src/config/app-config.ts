import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

/**
 * Every setting the server reads, parsed and validated once at boot.
 * Names follow CONTRACT.md §4 (and seed 001 where it names them); a bad value
 * stops start-up with a ConfigError that names the variable.
 */
export interface Settings {
  port: number;
  host: string;
  databaseUrl: string | null;
  /**
   * MIGRATION_DATABASE_URL: a privileged (schema-owning) connection used only
   * to apply migrations at start-up, so DATABASE_URL can be a least-privilege
   * login role (member of strata_app and strata_platform, not a superuser).
   */
  migrationDatabaseUrl: string | null;
  /** Connections to DATABASE_URL's server (PGlite has one). */
  databasePoolSize: number;
  dataDir: string;
  redisUrl: string | null;
  tokenSecret: string | null;
  jwtAlgorithm: 'HS256' | 'HS384' | 'HS512';
  tokenExpireHours: number;
  adminUsername: string;
  adminPassword: string | null;
  apiKeyPepper: string | null;
  encryptionKey: string | null;
  maxCachedInstances: number;
  llmBinding: 'local' | 'openai';
  llmModel: string;
  llmBindingHost: string | null;
  llmBindingApiKey: string | null;
  llmTimeoutMs: number;
  llmMaxConcurrency: number;
  embeddingBinding: 'local' | 'openai';
  embeddingModel: string;
  embeddingDim: number;
  rateLimitQueriesPerMinute: number;
  rateLimitDocumentsPerHour: number;
  maxDocuments: number;
  maxStorageGb: number;
  maxKbPerTenant: number;
  maxUploadBytes: number;
  /** Extracted text of one upload, any format (a DOCX inflating past it is stopped while inflating). */
  maxExtractedBytes: number;
  /** Pages of one PDF upload. */
  maxPdfPages: number;
  enableAuditLogging: boolean;
  auditLogRetentionDays: number;
  tenantRetentionDays: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  metricsToken: string | null;
  /** METRICS_PUBLIC=true: /metrics answers without a token (opt-in; by default a token is required). */
  metricsPublic: boolean;
  workerConcurrency: number;
  workerPollMs: number;
  shutdownTimeoutMs: number;
  /** V8 old-space growth per GC cycle, in % of the live heap (0 = V8's own 10–300 %); applied by main.ts. */
  heapGrowthPercent: number;
  /** Worker threads for parsing, tokenising, local embedding and extraction (ComputePool). */
  computeThreads: number;
  /** V8 old-space limit of each compute thread; a task that needs more fails instead of growing the server. */
  computeThreadMemoryMb: number;
  /** Longest an upload may take to parse before it is refused. */
  parseTimeoutMs: number;
  /** Longest one ingestion job may run; past it the document fails for good (never retried). */
  jobTimeBudgetMs: number;
}

export class ConfigError extends Error {
  constructor(readonly variable: string, reason: string) {
    super(`Invalid configuration: ${variable} ${reason}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string): string | null {
  const v = env[name];
  return v === undefined || v.trim() === '' ? null : v.trim();
}

function int(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = str(env, name);
  if (raw === null) return def;
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(name, `must be an integer, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function num(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = str(env, name);
  if (raw === null) return def;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new ConfigError(name, `must be a number, got "${raw}"`);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function bool(env: Env, name: string, def: boolean): boolean {
  const raw = str(env, name);
  if (raw === null) return def;
  const v = raw.toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function oneOf<T extends string>(env: Env, name: string, def: T, allowed: readonly T[]): T {
  const raw = str(env, name);
  if (raw === null) return def;
  const v = (name === 'JWT_ALGORITHM' ? raw.toUpperCase() : raw.toLowerCase()) as T;
  if (!allowed.includes(v)) throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  return v;
}

function url(env: Env, name: string, protocols: string[]): string | null {
  const raw = str(env, name);
  if (raw === null) return null;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, 'must be a URL');
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}, got "${parsed.protocol}"`);
  }
  return raw;
}

/** ollama, lollms, azure_openai… all speak the OpenAI API: they map to `openai` with LLM_BINDING_HOST. */
function binding(env: Env, name: string): 'local' | 'openai' {
  const raw = (str(env, name) ?? 'local').toLowerCase();
  if (raw === 'local') return 'local';
  if (['openai', 'ollama', 'vllm', 'azure_openai', 'lollms', 'openai-compatible'].includes(raw)) return 'openai';
  throw new ConfigError(name, `must be local or openai (or an OpenAI-compatible server: ollama, vllm), got "${raw}"`);
}

export function parseSettings(env: Env): Settings {
  const llmBinding = binding(env, 'LLM_BINDING');
  const embeddingBinding = binding(env, 'EMBEDDING_BINDING');
  const tokenSecret = str(env, 'TOKEN_SECRET');
  if (tokenSecret !== null && tokenSecret.length < 32) {
    throw new ConfigError('TOKEN_SECRET', 'must be at least 32 characters long');
  }
  const encryptionKey = str(env, 'ENCRYPTION_KEY');
  if (encryptionKey !== null && !/^[0-9a-fA-F]{64}$/.test(encryptionKey) && Buffer.from(encryptionKey, 'base64').length !== 32) {
    throw new ConfigError('ENCRYPTION_KEY', 'must be 32 bytes, as 64 hex characters or base64');
  }
  const adminPassword = str(env, 'ADMIN_PASSWORD');
  if (adminPassword !== null && adminPassword.length < 8) {
    throw new ConfigError('ADMIN_PASSWORD', 'must be at least 8 characters long');
  }
  const llmBindingHost = url(env, 'LLM_BINDING_HOST', ['http:', 'https:']);
  const s: Settings = {
    port: int(env, 'PORT', 9621, 0, 65535),
    host: str(env, 'HOST') ?? '0.0.0.0',
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    migrationDatabaseUrl: url(env, 'MIGRATION_DATABASE_URL', ['postgres:', 'postgresql:']),
    databasePoolSize: int(env, 'DATABASE_POOL_SIZE', 10, 1, 1000),
    dataDir: str(env, 'DATA_DIR') ?? './data',
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    tokenSecret,
    jwtAlgorithm: oneOf(env, 'JWT_ALGORITHM', 'HS256', ['HS256', 'HS384', 'HS512'] as const),
    tokenExpireHours: num(env, 'TOKEN_EXPIRE_HOURS', 24, 0.01, 24 * 365),
    adminUsername: str(env, 'ADMIN_USERNAME') ?? 'admin',
    adminPassword,
    apiKeyPepper: str(env, 'API_KEY_PEPPER'),
    encryptionKey,
    maxCachedInstances: int(env, 'MAX_CACHED_INSTANCES', 100, 1, 100000),
    llmBinding,
    llmModel: str(env, 'LLM_MODEL') ?? (llmBinding === 'local' ? 'local-extractive' : 'gpt-4o-mini'),
    llmBindingHost,
    llmBindingApiKey: str(env, 'LLM_BINDING_API_KEY'),
    llmTimeoutMs: int(env, 'LLM_TIMEOUT_MS', 60000, 100, 600000),
    llmMaxConcurrency: int(env, 'LLM_MAX_ASYNC', 4, 1, 256),
    embeddingBinding,
    embeddingModel: str(env, 'EMBEDDING_MODEL') ?? (embeddingBinding === 'local' ? 'local-lexical-hash' : 'text-embedding-3-small'),
    embeddingDim: int(env, 'EMBEDDING_DIM', embeddingBinding === 'local' ? 1024 : 1536, 8, 16000),
    rateLimitQueriesPerMinute: int(env, 'RATE_LIMIT_QUERIES_PER_MINUTE', 100, 1, 10_000_000),
    rateLimitDocumentsPerHour: int(env, 'RATE_LIMIT_DOCUMENTS_PER_HOUR', 1000, 1, 10_000_000),
    maxDocuments: int(env, 'MAX_DOCUMENTS', 10000, 1, 1_000_000_000),
    maxStorageGb: num(env, 'MAX_STORAGE_GB', 10, 0.000001, 1_000_000),
    maxKbPerTenant: int(env, 'MAX_KB_PER_TENANT', 50, 1, 1_000_000),
    maxUploadBytes: int(env, 'MAX_UPLOAD_MB', 50, 1, 4096) * 1024 * 1024,
    maxExtractedBytes: int(env, 'MAX_EXTRACTED_MB', 20, 1, 4096) * 1024 * 1024,
    maxPdfPages: int(env, 'MAX_PDF_PAGES', 2000, 1, 1_000_000),
    enableAuditLogging: bool(env, 'ENABLE_AUDIT_LOGGING', true),
    auditLogRetentionDays: int(env, 'AUDIT_LOG_RETENTION_DAYS', 365, 1, 36500),
    tenantRetentionDays: int(env, 'TENANT_RETENTION_DAYS', 30, 0, 36500),
    logLevel: oneOf(env, 'LOG_LEVEL', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
    metricsToken: str(env, 'METRICS_TOKEN'),
    metricsPublic: bool(env, 'METRICS_PUBLIC', false),
    workerConcurrency: int(env, 'WORKER_CONCURRENCY', 2, 0, 64),
    workerPollMs: int(env, 'WORKER_POLL_MS', 500, 10, 60000),
    shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 10000, 0, 600000),
    heapGrowthPercent: int(env, 'HEAP_GROWTH_PERCENT', 50, 0, 300),
    computeThreads: int(env, 'COMPUTE_THREADS', 2, 1, 64),
    computeThreadMemoryMb: int(env, 'COMPUTE_THREAD_MEMORY_MB', 1024, 64, 65536),
    parseTimeoutMs: int(env, 'PARSE_TIMEOUT_S', 60, 1, 3600) * 1000,
    jobTimeBudgetMs: int(env, 'JOB_TIME_BUDGET_S', 1800, 1, 86400) * 1000,
  };
  if ((s.llmBinding === 'openai' || s.embeddingBinding === 'openai') && !s.llmBindingApiKey && !s.llmBindingHost) {
    throw new ConfigError('LLM_BINDING_API_KEY', 'is required when LLM_BINDING or EMBEDDING_BINDING is openai (or set LLM_BINDING_HOST for a keyless OpenAI-compatible server)');
  }
  if (s.migrationDatabaseUrl && !s.databaseUrl) {
    throw new ConfigError('MIGRATION_DATABASE_URL', 'needs DATABASE_URL (the embedded database has a single user)');
  }
  return Object.freeze(s);
}

/** Typed access to the validated settings; a singleton shared by every module. */
@Injectable()
export class AppConfig {
  readonly settings: Settings;
  constructor(config: ConfigService) {
    this.settings = config.get<Settings>('settings') as Settings;
  }
}
