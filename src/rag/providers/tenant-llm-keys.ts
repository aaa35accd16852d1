/**
 * A tenant's own LLM API key (bring-your-own-key). The operations module
 * implements it (AES-256-GCM at rest) and provides it under this class token;
 * ModelProviders injects it as optional, so without it every tenant runs on
 * the server's key ("hosted").
 */
export abstract class TenantLlmKeys {
  /** The tenant's decrypted key, or null when it has none. */
  abstract getKey(tenantId: string): Promise<string | null>;
}
