import type { Settings } from './settings';
import { Env, EnvRule, IsBooleanEnv, IsNumberEnv, IsOneOfEnv, parseBool, parseNumber, Secret } from './env.decorators';

const ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;

/** Authentication and the server's own secrets (token signing, key hashing, encryption at rest). */
export class AuthEnv {
  @Env() @Secret() @EnvRule('minLength32', (raw) => (raw.length < 32 ? 'must be at least 32 characters long' : null)) TOKEN_SECRET?: string;
  @Env() @IsOneOfEnv(ALGORITHMS, (raw) => raw.toUpperCase()) JWT_ALGORITHM?: string;
  @Env() @IsNumberEnv(0.01, 24 * 365) TOKEN_EXPIRE_HOURS?: string;
  /** LightRAG's names: a compat response carries X-New-Token when less than this share of the bearer token's life is left. */
  @Env() @IsBooleanEnv() TOKEN_AUTO_RENEW?: string;
  @Env() @IsNumberEnv(0, 1) TOKEN_RENEW_THRESHOLD?: string;
  @Env() ADMIN_USERNAME?: string;
  @Env() @Secret() @EnvRule('minLength8', (raw) => (raw.length < 8 ? 'must be at least 8 characters long' : null)) ADMIN_PASSWORD?: string;
  @Env() @Secret() API_KEY_PEPPER?: string;
  @Env()
  @Secret()
  @EnvRule('key32Bytes', (raw) => (/^[0-9a-fA-F]{64}$/.test(raw) || Buffer.from(raw, 'base64').length === 32 ? null : 'must be 32 bytes, as 64 hex characters or base64'))
  ENCRYPTION_KEY?: string;

  toSettings(): Pick<
    Settings,
    'tokenSecret' | 'jwtAlgorithm' | 'tokenExpireHours' | 'tokenAutoRenew' | 'tokenRenewThreshold' | 'adminUsername' | 'adminPassword' | 'apiKeyPepper' | 'encryptionKey'
  > {
    return {
      tokenSecret: this.TOKEN_SECRET ?? null,
      jwtAlgorithm: (this.JWT_ALGORITHM?.toUpperCase() ?? 'HS256') as Settings['jwtAlgorithm'],
      tokenExpireHours: parseNumber(this.TOKEN_EXPIRE_HOURS, 24),
      tokenAutoRenew: parseBool(this.TOKEN_AUTO_RENEW, true),
      tokenRenewThreshold: parseNumber(this.TOKEN_RENEW_THRESHOLD, 0.5),
      adminUsername: this.ADMIN_USERNAME ?? 'admin',
      adminPassword: this.ADMIN_PASSWORD ?? null,
      apiKeyPepper: this.API_KEY_PEPPER ?? null,
      encryptionKey: this.ENCRYPTION_KEY ?? null,
    };
  }
}
