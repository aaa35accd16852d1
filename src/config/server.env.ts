import type { Settings } from './settings';
import { Env, IsIntegerEnv, parseNumber } from './env.decorators';

/** The HTTP server and the process: where it listens, how it stops, how its heap grows. */
export class ServerEnv {
  @Env() @IsIntegerEnv(0, 65535) PORT?: string;
  @Env() HOST?: string;
  @Env() @IsIntegerEnv(0, 600000) SHUTDOWN_TIMEOUT_MS?: string;
  @Env() @IsIntegerEnv(0, 300) HEAP_GROWTH_PERCENT?: string;

  toSettings(): Pick<Settings, 'port' | 'host' | 'shutdownTimeoutMs' | 'heapGrowthPercent'> {
    return {
      port: parseNumber(this.PORT, 9621),
      host: this.HOST ?? '0.0.0.0',
      shutdownTimeoutMs: parseNumber(this.SHUTDOWN_TIMEOUT_MS, 10000),
      heapGrowthPercent: parseNumber(this.HEAP_GROWTH_PERCENT, 50),
    };
  }
}
