import { SetMetadata } from '@nestjs/common';

export const AUDIT_ACTION = 'strata:audit-action';

/**
 * Names the audit action a route performs (e.g. `document.add`, `query.run`).
 * The audit module records one entry per call of such a route, with outcome,
 * actor, tenant, KB, resource id and request id.
 */
export const AuditAction = (action: string) => SetMetadata(AUDIT_ACTION, action);
