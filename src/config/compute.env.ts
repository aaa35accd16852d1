import type { Settings } from './settings';
import { Env, IsIntegerEnv, parseNumber } from './env.decorators';

/** The compute pool: worker threads for parsing, tokenising, local embedding and extraction. */
export class ComputeEnv {
  @Env() @IsIntegerEnv(1, 64) COMPUTE_THREADS?: string;
  @Env() @IsIntegerEnv(64, 65536) COMPUTE_THREAD_MEMORY_MB?: string;

  toSettings(): Pick<Settings, 'computeThreads' | 'computeThreadMemoryMb'> {
    return {
      computeThreads: parseNumber(this.COMPUTE_THREADS, 2),
      computeThreadMemoryMb: parseNumber(this.COMPUTE_THREAD_MEMORY_MB, 1024),
    };
  }
}
