import type { ModelSettings } from './settings';
import { Env, EnvRule, IsIntegerEnv, IsUrlEnv, parseNumber, RequiredWhen, Secret } from './env.decorators';

/** ollama, lollms, azure_openai… all speak the OpenAI API: they map to `openai` with LLM_BINDING_HOST. */
const OPENAI_COMPATIBLE = ['openai', 'ollama', 'vllm', 'azure_openai', 'lollms', 'openai-compatible'];

function binding(raw: string | undefined): 'local' | 'openai' | null {
  const v = (raw ?? 'local').toLowerCase();
  if (v === 'local') return 'local';
  return OPENAI_COMPATIBLE.includes(v) ? 'openai' : null;
}

const IsBindingEnv = () =>
  EnvRule('isBinding', (raw) => (binding(raw) ? null : `must be local or openai (or an OpenAI-compatible server: ollama, vllm), got "${raw.toLowerCase()}"`));

/** The model providers: the LLM and the embedding model, local or any OpenAI-compatible server. */
export class ModelsEnv {
  @Env() @IsBindingEnv() LLM_BINDING?: string;
  @Env() LLM_MODEL?: string;
  @Env() @IsUrlEnv(['http:', 'https:']) LLM_BINDING_HOST?: string;
  @Env()
  @Secret()
  @RequiredWhen<ModelsEnv>(
    (env) => (binding(env.LLM_BINDING) === 'openai' || binding(env.EMBEDDING_BINDING) === 'openai') && env.LLM_BINDING_HOST === undefined,
    'is required when LLM_BINDING or EMBEDDING_BINDING is openai (or set LLM_BINDING_HOST for a keyless OpenAI-compatible server)',
  )
  LLM_BINDING_API_KEY?: string;
  @Env() @IsIntegerEnv(100, 600000) LLM_TIMEOUT_MS?: string;
  /** Model calls in flight at once (LightRAG's name). */
  @Env() @IsIntegerEnv(1, 256) LLM_MAX_ASYNC?: string;
  /** Of those, how many calls on the server's key one tenant may have in flight (default one fewer, at least 1). */
  @Env() @IsIntegerEnv(1, 256) LLM_MAX_ASYNC_PER_TENANT?: string;
  @Env() @IsBindingEnv() EMBEDDING_BINDING?: string;
  @Env() EMBEDDING_MODEL?: string;
  @Env() @IsIntegerEnv(8, 16000) EMBEDDING_DIM?: string;

  toSettings(): ModelSettings {
    const llmBinding = binding(this.LLM_BINDING) ?? 'local';
    const embeddingBinding = binding(this.EMBEDDING_BINDING) ?? 'local';
    const maxAsync = parseNumber(this.LLM_MAX_ASYNC, 4);
    return {
      llmBinding,
      llmModel: this.LLM_MODEL ?? (llmBinding === 'local' ? 'local-extractive' : 'gpt-4o-mini'),
      llmBindingHost: this.LLM_BINDING_HOST ?? null,
      llmBindingApiKey: this.LLM_BINDING_API_KEY ?? null,
      llmTimeoutMs: parseNumber(this.LLM_TIMEOUT_MS, 60000),
      llmMaxConcurrency: maxAsync,
      llmTenantConcurrency: Math.min(maxAsync, parseNumber(this.LLM_MAX_ASYNC_PER_TENANT, Math.max(1, maxAsync - 1))),
      embeddingBinding,
      embeddingModel: this.EMBEDDING_MODEL ?? (embeddingBinding === 'local' ? 'local-lexical-hash' : 'text-embedding-3-small'),
      embeddingDim: parseNumber(this.EMBEDDING_DIM, embeddingBinding === 'local' ? 1024 : 1536),
    };
  }
}
