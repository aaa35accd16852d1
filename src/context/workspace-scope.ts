import { Injectable, SetMetadata } from '@nestjs/common';
import type { Principal } from './principal';

/**
 * How a route that carries no tenant or KB in its path learns them (the
 * LightRAG-compatible API): a resolver turns the request's selectors (a path
 * segment, a header, a model tag) and the caller's credential into the tenant
 * and KB. AccessGuard calls it right after authentication and then applies the
 * same checks as for a path's :tenantId and :kbId.
 *
 *  kb           a KB is needed; the resolver may fall back to the tenant's default KB;
 *  kb-explicit  a KB is needed and must be named (a selector or a one-KB key): destructive routes;
 *  optional     a KB when one is named (or the key is bound to one), else only the
 *               caller's tenant (health, model lists).
 */
export type WorkspaceNeed = 'kb' | 'kb-explicit' | 'optional';

export const WORKSPACE_SCOPE = 'strata:workspace-scope';

export interface ResolvedScope {
  tenantId: string;
  kbId?: string;
}

export interface ScopeResolver {
  resolve(request: unknown, principal: Principal, need: WorkspaceNeed): Promise<ResolvedScope>;
}

/** Marks a route whose tenant and KB come from the registered ScopeResolver instead of the path. */
export const WorkspaceScoped = (need: WorkspaceNeed) => SetMetadata(WORKSPACE_SCOPE, need);

/**
 * Where the module that owns such routes registers its resolver at start-up
 * (so the guard, which is below every feature, never imports one).
 */
@Injectable()
export class ScopeResolvers {
  private resolver: ScopeResolver | null = null;

  register(resolver: ScopeResolver): void {
    this.resolver = resolver;
  }

  get(): ScopeResolver {
    if (!this.resolver) throw new Error('A @WorkspaceScoped route is served but no ScopeResolver is registered.');
    return this.resolver;
  }
}
