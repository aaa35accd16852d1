import type { Settings } from './settings';
import { Env, IsBooleanEnv, parseBool, Secret } from './env.decorators';

/** The Prometheus endpoint /metrics and who may read it. */
export class MetricsEnv {
  @Env() @Secret() METRICS_TOKEN?: string;
  /** true: /metrics answers without a token (opt-in). */
  @Env() @IsBooleanEnv() METRICS_PUBLIC?: string;

  toSettings(): Pick<Settings, 'metricsToken' | 'metricsPublic'> {
    return { metricsToken: this.METRICS_TOKEN ?? null, metricsPublic: parseBool(this.METRICS_PUBLIC, false) };
  }
}
