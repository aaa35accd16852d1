/** The shapes of the API answers the console reads (the DTO files under src/ on the server). */
import type { Permission, Role } from '../session/permissions';

export const TIERS = ['trial', 'standard', 'premium', 'enterprise'] as const;
export type Tier = (typeof TIERS)[number];

export interface TenantLimits {
  max_documents?: number;
  max_storage_gb?: number;
  max_kb?: number;
  queries_per_minute?: number;
  documents_per_hour?: number;
  monthly_token_limit?: number;
  monthly_cost_limit_usd?: number;
}

export interface Tenant {
  tenant_id: string;
  tenant_name: string;
  slug: string;
  description: string | null;
  tier: Tier;
  is_active: boolean;
  limits: TenantLimits;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

export interface KbConfig {
  chunk_token_size?: number;
  chunk_overlap_token_size?: number;
  top_k?: number;
  chunk_top_k?: number;
  default_mode?: string;
  enable_rerank?: boolean;
}

export interface KnowledgeBase {
  kb_id: string;
  tenant_id: string;
  kb_name: string;
  description: string | null;
  config: KbConfig;
  created_at: string;
  updated_at: string;
}

export interface User {
  user_id: string;
  tenant_id: string;
  username: string;
  role: Role;
  is_active: boolean;
  created_at: string;
  updated_at: string;
}

export interface ApiKey {
  key_id: string;
  key_name: string;
  key_prefix: string;
  knowledge_base_ids: string[];
  permissions: Permission[];
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  created_by: string;
  created_at: string;
}

export interface CreatedApiKey extends ApiKey {
  key: string;
}

/** GET /auth/me: the caller as the server holds it now (src/auth/auth.dto.ts MeDto); a field that does not apply is null. */
export interface Me {
  kind: 'admin' | 'user' | 'api_key';
  id: string;
  username: string | null;
  key_name: string | null;
  key_prefix: string | null;
  tenant_id: string | null;
  role: Role | 'admin' | null;
  permissions: Permission[];
  knowledge_base_ids: string[] | null;
  expires_at: string | null;
}
