import type { Settings } from './settings';
import { Env, IsOneOfEnv } from './env.decorators';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The JSON log (pino). */
export class LoggingEnv {
  @Env() @IsOneOfEnv(LEVELS) LOG_LEVEL?: string;

  toSettings(): Pick<Settings, 'logLevel'> {
    return { logLevel: (this.LOG_LEVEL?.toLowerCase() ?? 'info') as Settings['logLevel'] };
  }
}
