import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { AuditEnv } from './audit.env';
import { AuthEnv } from './auth.env';
import { ComputeEnv } from './compute.env';
import { DatabaseEnv } from './database.env';
import { EngineEnv } from './engine.env';
import { secretVariables } from './env.decorators';
import { LightragEnv } from './lightrag.env';
import { LimitsEnv } from './limits.env';
import { LoggingEnv } from './logging.env';
import { MetricsEnv } from './metrics.env';
import { ModelsEnv } from './models.env';
import { RedisEnv } from './redis.env';
import { ServerEnv } from './server.env';
import { ConfigError, Settings } from './settings';

export { ConfigError } from './settings';
export type { ModelSettings, Settings } from './settings';

type Env = Record<string, string | undefined>;

/** The configuration domains, in the order their errors are reported. */
const DOMAINS = [ServerEnv, DatabaseEnv, RedisEnv, AuthEnv, ModelsEnv, EngineEnv, ComputeEnv, LimitsEnv, AuditEnv, MetricsEnv, LoggingEnv, LightragEnv] as const;

/** Every variable marked @Secret(), across the domains. */
export const SECRET_VARIABLES: readonly string[] = DOMAINS.flatMap((domain) => secretVariables(domain));

/** Values arrive trimmed; a blank variable is an unset one. */
function normalise(env: Env): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(env)) {
    const v = value?.trim();
    out[name] = v === undefined || v === '' ? undefined : v;
  }
  return out;
}

function load<T extends object>(domain: new () => T, env: Record<string, string | undefined>): T {
  const dto = plainToInstance(domain, env, { excludeExtraneousValues: true });
  const errors: ValidationError[] = validateSync(dto, { forbidUnknownValues: false });
  if (errors.length > 0) {
    const problems = errors.map((e) => {
      let reason = Object.values(e.constraints ?? {})[0] ?? 'is invalid';
      // A secret's value never reaches a message (or the log that prints it).
      const raw = env[e.property];
      if (raw !== undefined && SECRET_VARIABLES.includes(e.property) && reason.includes(raw)) reason = reason.split(raw).join('<redacted>');
      return { variable: e.property, reason };
    });
    throw new ConfigError(problems[0].variable, problems[0].reason, problems.slice(1));
  }
  return dto;
}

/**
 * Parses and validates the environment, domain by domain (class-validator on
 * the *.env.ts classes). The first invalid variable's name and what it expects
 * lead the error message; other invalid variables of the same domain follow it.
 */
export function parseSettings(env: Env): Settings {
  const vars = normalise(env);
  const settings: Settings = {
    ...load(ServerEnv, vars).toSettings(),
    ...load(DatabaseEnv, vars).toSettings(),
    ...load(RedisEnv, vars).toSettings(),
    ...load(AuthEnv, vars).toSettings(),
    ...load(ModelsEnv, vars).toSettings(),
    ...load(EngineEnv, vars).toSettings(),
    ...load(ComputeEnv, vars).toSettings(),
    ...load(LimitsEnv, vars).toSettings(),
    ...load(AuditEnv, vars).toSettings(),
    ...load(MetricsEnv, vars).toSettings(),
    ...load(LoggingEnv, vars).toSettings(),
    ...load(LightragEnv, vars).toSettings(),
  };
  return Object.freeze(settings);
}

/** The setting fed by a variable: TOKEN_SECRET → tokenSecret. */
function settingOf(variable: string): string {
  return variable.toLowerCase().replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** Settings keys that hold a secret (or a URL that may carry a password). */
export const SECRET_SETTINGS: readonly string[] = SECRET_VARIABLES.map(settingOf);

/**
 * The settings as they may be logged: every secret replaced by "<redacted>"
 * (null when unset, so an operator sees whether it is set); a URL keeps its
 * scheme, host, port and path, and loses its user and password.
 */
export function describeSettings(settings: Settings): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(settings)) {
    if (!SECRET_SETTINGS.includes(key) || value === null || value === undefined) {
      out[key] = value;
      continue;
    }
    out[key] = Array.isArray(value) ? value.map((v) => redactUrl(String(v)) ?? '<redacted>') : (redactUrl(String(value)) ?? '<redacted>');
  }
  return out;
}

function redactUrl(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (!url.host) return null;
  return `${url.protocol}//${url.username || url.password ? '<redacted>@' : ''}${url.host}${url.pathname === '/' ? '' : url.pathname}`;
}

/** Typed access to the validated settings; a singleton shared by every module. */
@Injectable()
export class AppConfig {
  readonly settings: Settings;
  constructor(config: ConfigService) {
    this.settings = config.get<Settings>('settings') as Settings;
    new Logger('Config').debug({ msg: 'settings', settings: describeSettings(this.settings) });
  }
}
