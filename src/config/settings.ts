/**
 * Every setting the server reads, parsed and validated once at boot from the
 * environment (one DTO class per domain: *.env.ts); a bad value stops start-up
 * with a ConfigError that names the variable.
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
  /** Streaming replicas for reads (DATABASE_READ_URL, comma-separated), empty when none. */
  databaseReadUrl: string[];
  /** Connections to DATABASE_URL's server (PGlite has one). */
  databasePoolSize: number;
  /** DATABASE_POOL_IDLE_MS: a pooled connection idle this long is closed (0: never). */
  databasePoolIdleMs: number;
  /**
   * DATABASE_CONNECT_TIMEOUT_MS: the longest a unit of work waits for a
   * connection to DATABASE_URL's server (opening one, or a free one of the
   * pool). While the server is down a request fails with 503 UNAVAILABLE
   * within this bound instead of hanging.
   */
  databaseConnectTimeoutMs: number;
  dataDir: string;
  /** PGLITE_TEMPLATE: a data-dir dump an in-memory PGlite starts from (tests). */
  pgliteTemplate: string | null;
  redisUrl: string | null;
  /** Prefix of Strata's Redis keys and channel (`<prefix>rl:…`, `<prefix>events`). */
  redisKeyPrefix: string;
  tokenSecret: string | null;
  jwtAlgorithm: 'HS256' | 'HS384' | 'HS512';
  tokenExpireHours: number;
  /** TOKEN_AUTO_RENEW: LightRAG-compatible responses to a bearer token past TOKEN_RENEW_THRESHOLD of its life carry X-New-Token. */
  tokenAutoRenew: boolean;
  /** TOKEN_RENEW_THRESHOLD: the share of a token's life left below which it is renewed (0–1). */
  tokenRenewThreshold: number;
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
  /** Of llmMaxConcurrency, the server key's slots one tenant may hold at once (LLM_MAX_ASYNC_PER_TENANT). */
  llmTenantConcurrency: number;
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
  /** A running job without a heartbeat for this long goes back to the queue (JOB_LOCK_TIMEOUT_S). */
  jobLockTimeoutMs: number;
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
  /** Attempts an ingestion job gets before its document is marked failed (a stale lock counts as one). */
  jobMaxAttempts: number;
  /** Backoff before a failed ingestion attempt is retried: this × 2^(attempt−1) × 0.75–1.25. */
  jobRetryBaseMs: number;
  /** Where the LightRAG-compatible API is served (null = not served). */
  lightragCompatPrefix: string | null;
  /** No fallback to the tenant's default KB: a compat request must name its workspace (or use a one-KB key). */
  lightragCompatStrict: boolean;
  /** The KB a compat request that names no workspace is routed to (non-strict mode). */
  lightragCompatDefaultKb: string;
  /** What GET /lightrag/auth-status tells the LightRAG WebUI: show a login page, or ask for an API key. */
  lightragCompatWebuiAuth: 'login' | 'apikey';
  /** Compat inserts report `duplicated` when the KB already holds a document of the same file name. */
  lightragCompatDedupeByName: boolean;
  /** Browser origins allowed to call the compat API cross-origin (a LightRAG WebUI served elsewhere); null = no CORS. */
  lightragCompatCorsOrigins: '*' | string[] | null;
  ollamaEmulatingModelName: string;
  ollamaEmulatingModelTag: string;
  webuiTitle: string;
  webuiDescription: string;
}

/** One invalid variable: its name and what it expects. */
export interface ConfigProblem {
  variable: string;
  reason: string;
}

/** "Invalid configuration: PORT must be an integer, got "eighty"" (then any other invalid variable of that domain). */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly reason: string,
    readonly others: readonly ConfigProblem[] = [],
  ) {
    super(`Invalid configuration: ${[{ variable, reason }, ...others].map((p) => `${p.variable} ${p.reason}`).join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** The model settings (models.env.ts) the engine's provider factory is built from. */
export type ModelSettings = Pick<
  Settings,
  | 'llmBinding'
  | 'llmModel'
  | 'llmBindingHost'
  | 'llmBindingApiKey'
  | 'llmTimeoutMs'
  | 'llmMaxConcurrency'
  | 'llmTenantConcurrency'
  | 'embeddingBinding'
  | 'embeddingModel'
  | 'embeddingDim'
>;
