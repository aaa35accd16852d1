import type { FastifyRequest } from 'fastify';
import type { CompatRequestState } from './workspace-resolver';

/** The response depends on these request headers (RFC #3516 of LightRAG): shared caches must key on them. */
export const COMPAT_VARY = 'LIGHTRAG-WORKSPACE, X-Workspace-ID, X-API-Key, Authorization';

/** Headers every compat response carries: Vary, and the resolved KB's id once the workspace is known (the caller's own KB only). */
export function compatResponseHeaders(req: FastifyRequest): Record<string, string> {
  const kbId = (req as FastifyRequest & CompatRequestState).lightragKbId;
  return kbId ? { vary: COMPAT_VARY, 'x-strata-kb-id': kbId } : { vary: COMPAT_VARY };
}
