import type { Settings } from './settings';
import { Env, IsUrlEnv, Secret } from './env.decorators';

/** Redis: today the shared rate-limit counters (and failed-login budgets) of every replica. */
export class RedisEnv {
  @Env() @Secret() @IsUrlEnv(['redis:', 'rediss:']) REDIS_URL?: string;

  toSettings(): Pick<Settings, 'redisUrl'> {
    return { redisUrl: this.REDIS_URL ?? null };
  }
}
