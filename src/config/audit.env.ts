import type { Settings } from './settings';
import { Env, IsBooleanEnv, IsIntegerEnv, parseBool, parseNumber } from './env.decorators';

/** The audit log and how long audit entries and deleted tenants are kept. */
export class AuditEnv {
  @Env() @IsBooleanEnv() ENABLE_AUDIT_LOGGING?: string;
  @Env() @IsIntegerEnv(1, 36500) AUDIT_LOG_RETENTION_DAYS?: string;
  @Env() @IsIntegerEnv(0, 36500) TENANT_RETENTION_DAYS?: string;

  toSettings(): Pick<Settings, 'enableAuditLogging' | 'auditLogRetentionDays' | 'tenantRetentionDays'> {
    return {
      enableAuditLogging: parseBool(this.ENABLE_AUDIT_LOGGING, true),
      auditLogRetentionDays: parseNumber(this.AUDIT_LOG_RETENTION_DAYS, 365),
      tenantRetentionDays: parseNumber(this.TENANT_RETENTION_DAYS, 30),
    };
  }
}
