// @AuditAction lives in src/common/audit-action.ts so that any module may mark a route without
// depending on audit; this re-export keeps older import paths working.
export * from '../common/audit-action';
