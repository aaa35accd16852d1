import type { Settings } from './settings';
import { Env, EnvRule, IsBooleanEnv, IsOneOfEnv, parseBool } from './env.decorators';

/** Paths Strata itself serves at the root: the LightRAG-compatible surface may not take them. */
const RESERVED = ['api', 'health', 'metrics', 'docs', 'docs-json'];
const OFF = ['off', 'none', 'false', '-'];

function normalisePrefix(raw: string): string {
  return '/' + raw.replace(/^\/+|\/+$/g, '');
}

/**
 * The LightRAG-compatible API (src/compat/lightrag/api): where it is served,
 * how a request that names no workspace is routed, and what its Ollama
 * emulation and WebUI bootstrap answer.
 */
export class LightragEnv {
  @Env()
  @EnvRule('lightragPrefix', (raw) => {
    if (OFF.includes(raw.toLowerCase())) return null;
    const p = normalisePrefix(raw);
    if (!/^\/[a-z0-9][a-z0-9_-]{0,39}(\/[a-z0-9][a-z0-9_-]{0,39}){0,3}$/.test(p))
      return `must be a path such as /lightrag (lower-case letters, digits, - and _), or "off", got "${raw}"`;
    if (RESERVED.includes(p.split('/')[1])) return `must not start with /${p.split('/')[1]} (Strata serves it), got "${raw}"`;
    return null;
  })
  LIGHTRAG_COMPAT_PREFIX?: string;
  @Env() @IsBooleanEnv() LIGHTRAG_COMPAT_STRICT?: string;
  /** LightRAG's own name for the opposite of strict mode (false = strict). */
  @Env() @IsBooleanEnv() LIGHTRAG_ALLOW_DEFAULT_WORKSPACE?: string;
  @Env()
  @EnvRule('kbName', (raw) =>
    raw.length <= 200 && ![...raw].some((c) => c.charCodeAt(0) < 0x20) ? null : `must be a knowledge-base name (at most 200 characters, no control characters)`,
  )
  LIGHTRAG_COMPAT_DEFAULT_KB?: string;
  @Env() @IsOneOfEnv(['login', 'apikey']) LIGHTRAG_COMPAT_WEBUI_AUTH?: string;
  @Env() @IsBooleanEnv() LIGHTRAG_COMPAT_DEDUPE_BY_NAME?: string;
  @Env()
  @EnvRule('ollamaName', (raw) => (/^[a-z0-9][a-z0-9_.-]{0,63}$/.test(raw) ? null : `must be a model name ([a-z0-9_.-], at most 64), got "${raw}"`))
  OLLAMA_EMULATING_MODEL_NAME?: string;
  @Env()
  @EnvRule('ollamaTag', (raw) => (/^[a-z0-9][a-z0-9_.-]{0,63}$/.test(raw) ? null : `must be a model tag ([a-z0-9_.-], at most 64), got "${raw}"`))
  OLLAMA_EMULATING_MODEL_TAG?: string;
  @Env()
  @EnvRule('corsOrigins', (raw) => {
    if (raw === '*') return null;
    const bad = raw
      .split(',')
      .map((o) => o.trim())
      .filter((o) => !/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/.test(o));
    return bad.length ? `must be * or a comma-separated list of origins such as https://webui.example.com, got "${bad[0]}"` : null;
  })
  LIGHTRAG_COMPAT_CORS_ORIGINS?: string;
  @Env() WEBUI_TITLE?: string;
  @Env() WEBUI_DESCRIPTION?: string;

  toSettings(): Pick<
    Settings,
    | 'lightragCompatPrefix'
    | 'lightragCompatStrict'
    | 'lightragCompatDefaultKb'
    | 'lightragCompatWebuiAuth'
    | 'lightragCompatDedupeByName'
    | 'lightragCompatCorsOrigins'
    | 'ollamaEmulatingModelName'
    | 'ollamaEmulatingModelTag'
    | 'webuiTitle'
    | 'webuiDescription'
  > {
    const prefix = this.LIGHTRAG_COMPAT_PREFIX;
    return {
      lightragCompatPrefix: prefix === undefined ? '/lightrag' : OFF.includes(prefix.toLowerCase()) ? null : normalisePrefix(prefix),
      lightragCompatStrict: parseBool(this.LIGHTRAG_COMPAT_STRICT, false) || !parseBool(this.LIGHTRAG_ALLOW_DEFAULT_WORKSPACE, true),
      lightragCompatDefaultKb: this.LIGHTRAG_COMPAT_DEFAULT_KB ?? 'default',
      lightragCompatWebuiAuth: (this.LIGHTRAG_COMPAT_WEBUI_AUTH?.toLowerCase() as 'login' | 'apikey' | undefined) ?? 'login',
      lightragCompatDedupeByName: parseBool(this.LIGHTRAG_COMPAT_DEDUPE_BY_NAME, true),
      lightragCompatCorsOrigins:
        this.LIGHTRAG_COMPAT_CORS_ORIGINS === undefined
          ? null
          : this.LIGHTRAG_COMPAT_CORS_ORIGINS === '*'
            ? '*'
            : this.LIGHTRAG_COMPAT_CORS_ORIGINS.split(',').map((o) => o.trim()),
      ollamaEmulatingModelName: this.OLLAMA_EMULATING_MODEL_NAME ?? 'lightrag',
      ollamaEmulatingModelTag: this.OLLAMA_EMULATING_MODEL_TAG ?? 'latest',
      webuiTitle: (this.WEBUI_TITLE ?? 'Strata').slice(0, 200),
      webuiDescription: (this.WEBUI_DESCRIPTION ?? 'Strata — multi-tenant knowledge-graph RAG (LightRAG-compatible API)').slice(0, 500),
    };
  }
}
