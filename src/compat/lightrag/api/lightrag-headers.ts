import type { FastifyRequest } from 'fastify';
import type { CompatRequestState } from './workspace-resolver';

/** The response depends on these request headers (RFC #3516 of LightRAG): shared caches must key on them. */
export const COMPAT_VARY = 'LIGHTRAG-WORKSPACE, X-Workspace-ID, X-API-Key, Authorization';

/**
 * Headers every compat response carries: Vary; the resolved KB's id once the
 * workspace is known (the caller's own KB only); and a renewed bearer token
 * when LightragHeadersInterceptor made one (TokenRenewal).
 */
export function compatResponseHeaders(req: FastifyRequest): Record<string, string> {
  const { lightragKbId: kbId, lightragNewToken: newToken } = req as FastifyRequest & CompatRequestState;
  return { vary: COMPAT_VARY, ...(kbId ? { 'x-strata-kb-id': kbId } : {}), ...(newToken ? { 'x-new-token': newToken } : {}) };
}
