import type { Settings } from './settings';
import { Env, EnvRule, IsUrlEnv, Secret } from './env.decorators';

/** Redis: the shared rate-limit counters (and failed-login budgets) and the channel by which replicas hear of each other's changes. */
export class RedisEnv {
  @Env() @Secret() @IsUrlEnv(['redis:', 'rediss:']) REDIS_URL?: string;
  /** Prefix of Strata's keys (rate-limit counters) and events channel, so that several Strata deployments (or test runs) can share one Redis. */
  @Env()
  @EnvRule('redisKeyPrefix', (raw) => (/^[A-Za-z0-9:_.-]{1,64}$/.test(raw) ? null : `must be 1 to 64 of A-Z a-z 0-9 : _ . -, got "${raw}"`))
  REDIS_KEY_PREFIX?: string;

  toSettings(): Pick<Settings, 'redisUrl' | 'redisKeyPrefix'> {
    return { redisUrl: this.REDIS_URL ?? null, redisKeyPrefix: this.REDIS_KEY_PREFIX ?? 'strata:' };
  }
}
