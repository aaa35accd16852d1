import { ConfigError, describeSettings, parseSettings, SECRET_SETTINGS, SECRET_VARIABLES } from './app-config';

describe('configuration: defaults', () => {
  it('an empty environment gives the documented defaults', () => {
    const s = parseSettings({});
    expect(s).toMatchObject({
      port: 9621,
      host: '0.0.0.0',
      databaseUrl: null,
      databasePoolIdleMs: 300000,
      databaseConnectTimeoutMs: 10000,
      dataDir: './data',
      pgliteTemplate: null,
      redisUrl: null,
      jwtAlgorithm: 'HS256',
      tokenExpireHours: 24,
      adminUsername: 'admin',
      llmBinding: 'local',
      llmModel: 'local-extractive',
      embeddingBinding: 'local',
      embeddingModel: 'local-lexical-hash',
      embeddingDim: 1024,
      maxUploadBytes: 50 * 1024 * 1024,
      maxExtractedBytes: 20 * 1024 * 1024,
      parseTimeoutMs: 60_000,
      jobTimeBudgetMs: 1_800_000,
      jobMaxAttempts: 5,
      jobRetryBaseMs: 2000,
      enableAuditLogging: true,
      metricsPublic: false,
      logLevel: 'info',
    });
    expect(Object.isFrozen(s)).toBe(true);
  });

  it('values are trimmed, a blank variable is unset, and names are case-normalised where the old parser did', () => {
    const s = parseSettings({ HOST: ' 127.0.0.1 ', PORT: '  ', JWT_ALGORITHM: 'hs512', LOG_LEVEL: 'DEBUG', LLM_BINDING: 'Ollama', LLM_BINDING_HOST: 'http://ollama:11434' });
    expect(s).toMatchObject({ host: '127.0.0.1', port: 9621, jwtAlgorithm: 'HS512', logLevel: 'debug', llmBinding: 'openai', llmModel: 'gpt-4o-mini' });
  });

  it('the LightRAG-compatible API: served at /lightrag unless off; strict by either variable', () => {
    expect(parseSettings({}).lightragCompatPrefix).toBe('/lightrag');
    expect(parseSettings({ LIGHTRAG_COMPAT_PREFIX: 'compat/lightrag/' }).lightragCompatPrefix).toBe('/compat/lightrag');
    expect(parseSettings({ LIGHTRAG_COMPAT_PREFIX: 'off' }).lightragCompatPrefix).toBeNull();
    expect(parseSettings({}).lightragCompatStrict).toBe(false);
    expect(parseSettings({ LIGHTRAG_COMPAT_STRICT: 'true' }).lightragCompatStrict).toBe(true);
    expect(parseSettings({ LIGHTRAG_ALLOW_DEFAULT_WORKSPACE: 'false' }).lightragCompatStrict).toBe(true);
    expect(parseSettings({}).lightragCompatDefaultKb).toBe('default');
  });

  it('an OpenAI embedding binding defaults to 1536 dimensions', () => {
    expect(parseSettings({ EMBEDDING_BINDING: 'openai', LLM_BINDING_API_KEY: 'sk-test' }).embeddingDim).toBe(1536);
  });
});

describe('configuration: an invalid variable stops start-up, named, with what it expects', () => {
  it.each([
    [{ PORT: 'eighty' }, 'PORT must be an integer, got "eighty"'],
    [{ PORT: '70000' }, 'PORT must be between 0 and 65535, got 70000'],
    [{ TOKEN_EXPIRE_HOURS: 'soon' }, 'TOKEN_EXPIRE_HOURS must be a number, got "soon"'],
    [{ TOKEN_RENEW_THRESHOLD: '1.5' }, 'TOKEN_RENEW_THRESHOLD must be between 0 and 1, got 1.5'],
    [{ TOKEN_AUTO_RENEW: 'yes please' }, 'TOKEN_AUTO_RENEW must be true or false, got "yes please"'],
    [{ JWT_ALGORITHM: 'none' }, 'JWT_ALGORITHM must be one of HS256, HS384, HS512, got "none"'],
    [{ ENABLE_AUDIT_LOGGING: 'maybe' }, 'ENABLE_AUDIT_LOGGING must be true or false, got "maybe"'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL must use postgres: or postgresql:, got "mysql:"'],
    [{ REDIS_URL: 'not a url' }, 'REDIS_URL must be a URL'],
    [{ TOKEN_SECRET: 'short' }, 'TOKEN_SECRET must be at least 32 characters long'],
    [{ ADMIN_PASSWORD: 'short' }, 'ADMIN_PASSWORD must be at least 8 characters long'],
    [{ ENCRYPTION_KEY: 'abc' }, 'ENCRYPTION_KEY must be 32 bytes, as 64 hex characters or base64'],
    [{ LLM_BINDING: 'gemini' }, 'LLM_BINDING must be local or openai (or an OpenAI-compatible server: ollama, vllm), got "gemini"'],
    [{ LLM_BINDING: 'openai' }, 'LLM_BINDING_API_KEY is required when LLM_BINDING or EMBEDDING_BINDING is openai'],
    [{ MIGRATION_DATABASE_URL: 'postgres://owner@db/strata' }, 'MIGRATION_DATABASE_URL needs DATABASE_URL'],
    [{ DATABASE_READ_URL: 'postgres://reader@replica/strata' }, 'DATABASE_READ_URL needs DATABASE_URL (the replicas must follow a PostgreSQL server)'],
    [{ DATABASE_URL: 'postgres://db/strata', DATABASE_READ_URL: 'postgres://replica/strata,mysql://other' }, 'DATABASE_READ_URL must be comma-separated postgres:// URLs'],
    [{ DATABASE_URL: 'postgres://db/strata', DATABASE_READ_URL: ' , ' }, 'DATABASE_READ_URL must name at least one postgres:// URL'],
    [{ REDIS_KEY_PREFIX: 'has space' }, 'REDIS_KEY_PREFIX must be 1 to 64 of A-Z a-z 0-9 : _ . -, got "has space"'],
    [{ JOB_LOCK_TIMEOUT_S: '1' }, 'JOB_LOCK_TIMEOUT_S must be between 2 and 3600, got 1'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"'],
    [{ PARSE_TIMEOUT_S: '0' }, 'PARSE_TIMEOUT_S must be between 1 and 3600, got 0'],
    [{ DATABASE_CONNECT_TIMEOUT_MS: '0' }, 'DATABASE_CONNECT_TIMEOUT_MS must be between 100 and 600000, got 0'],
    [{ DATABASE_CONNECT_TIMEOUT_MS: '5s' }, 'DATABASE_CONNECT_TIMEOUT_MS must be an integer, got "5s"'],
    [{ DATABASE_POOL_IDLE_MS: '-1' }, 'DATABASE_POOL_IDLE_MS must be between 0 and 86400000, got -1'],
    [{ DATABASE_POOL_IDLE_MS: '5m' }, 'DATABASE_POOL_IDLE_MS must be an integer, got "5m"'],
    [{ LIGHTRAG_COMPAT_PREFIX: '/api/lightrag' }, 'LIGHTRAG_COMPAT_PREFIX must not start with /api (Strata serves it), got "/api/lightrag"'],
    [{ LIGHTRAG_COMPAT_PREFIX: '/Light RAG' }, 'LIGHTRAG_COMPAT_PREFIX must be a path such as /lightrag'],
    [{ LIGHTRAG_COMPAT_WEBUI_AUTH: 'guest' }, 'LIGHTRAG_COMPAT_WEBUI_AUTH must be one of login, apikey, got "guest"'],
    [{ LIGHTRAG_COMPAT_STRICT: 'sometimes' }, 'LIGHTRAG_COMPAT_STRICT must be true or false, got "sometimes"'],
    [{ LIGHTRAG_COMPAT_CORS_ORIGINS: 'webui.example.com' }, 'LIGHTRAG_COMPAT_CORS_ORIGINS must be * or a comma-separated list of origins'],
    [{ OLLAMA_EMULATING_MODEL_NAME: 'Light RAG' }, 'OLLAMA_EMULATING_MODEL_NAME must be a model name'],
    [{ PGLITE_TEMPLATE: __filename }, 'PGLITE_TEMPLATE is only for DATA_DIR=memory:// (an in-memory database)'],
    [{ DATA_DIR: 'memory://', PGLITE_TEMPLATE: '/no/such/pgdata.tar' }, 'PGLITE_TEMPLATE names no file (/no/such/pgdata.tar)'],
  ])('%j', (env, message) => {
    let error: unknown;
    try {
      parseSettings(env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(`Invalid configuration: ${message}`);
    expect((error as ConfigError).variable).toBe(message.split(' ')[0]);
  });

  it('a keyless OpenAI-compatible host needs no API key', () => {
    expect(parseSettings({ LLM_BINDING: 'vllm', LLM_BINDING_HOST: 'http://vllm:8000' }).llmBindingApiKey).toBeNull();
  });

  it('every invalid variable of the domain is named, the first one leads', () => {
    expect(() => parseSettings({ PORT: 'eighty', HEAP_GROWTH_PERCENT: '301' })).toThrow(
      'Invalid configuration: PORT must be an integer, got "eighty"; HEAP_GROWTH_PERCENT must be between 0 and 300, got 301',
    );
  });
});

describe('configuration: secrets', () => {
  const secrets = {
    DATABASE_URL: 'postgres://strata:db-password@db:5432/strata',
    MIGRATION_DATABASE_URL: 'postgres://owner:owner-password@db:5432/strata',
    DATABASE_READ_URL: 'postgres://reader:reader-password@replica1:5432/strata, postgres://reader:reader-password@replica2:5432/strata',
    REDIS_URL: 'redis://:redis-password@cache:6379',
    TOKEN_SECRET: 'token-secret-token-secret-token-secret',
    ADMIN_PASSWORD: 'admin-password',
    API_KEY_PEPPER: 'pepper-value',
    ENCRYPTION_KEY: 'ab'.repeat(32),
    LLM_BINDING: 'openai',
    LLM_BINDING_API_KEY: 'sk-provider-key',
    METRICS_TOKEN: 'metrics-token-value',
  };

  it('the credentials and the URLs that can carry one are marked @Secret()', () => {
    expect([...SECRET_VARIABLES].sort()).toEqual(
      [
        'ADMIN_PASSWORD',
        'API_KEY_PEPPER',
        'DATABASE_READ_URL',
        'DATABASE_URL',
        'ENCRYPTION_KEY',
        'LLM_BINDING_API_KEY',
        'METRICS_TOKEN',
        'MIGRATION_DATABASE_URL',
        'REDIS_URL',
        'TOKEN_SECRET',
      ].sort(),
    );
    const keys = Object.keys(parseSettings({}));
    for (const key of SECRET_SETTINGS) expect(keys).toContain(key);
  });

  it('describeSettings never shows a secret; it says which are set and where a URL points', () => {
    const described = describeSettings(parseSettings(secrets));
    const text = JSON.stringify(described);
    for (const name of SECRET_VARIABLES) {
      const value = secrets[name as keyof typeof secrets];
      expect(text).not.toContain(value);
    }
    for (const leaked of ['db-password', 'owner-password', 'redis-password', 'reader-password']) expect(text).not.toContain(leaked);
    expect(described).toMatchObject({
      tokenSecret: '<redacted>',
      llmBindingApiKey: '<redacted>',
      metricsToken: '<redacted>',
      databaseUrl: 'postgres://<redacted>@db:5432/strata',
      redisUrl: 'redis://<redacted>@cache:6379',
      databaseReadUrl: ['postgres://<redacted>@replica1:5432/strata', 'postgres://<redacted>@replica2:5432/strata'],
      port: 9621,
      llmBinding: 'openai',
    });
    expect(describeSettings(parseSettings({})).tokenSecret).toBeNull();
  });

  it('an invalid secret is named but its value is never echoed', () => {
    for (const env of [{ TOKEN_SECRET: 'too-short-secret' }, { ENCRYPTION_KEY: 'not-a-key-value' }, { DATABASE_URL: 'mysql://root:hunter2@db/x' }]) {
      const [name, value] = Object.entries(env)[0];
      expect(() => parseSettings(env)).toThrow(new RegExp(`^Invalid configuration: ${name} `));
      try {
        parseSettings(env);
      } catch (err) {
        expect((err as Error).message).not.toContain(value);
        expect((err as Error).message).not.toContain('hunter2');
      }
    }
  });
});
