import { Injectable } from '@nestjs/common';

export type DenialKind = 'cross_tenant' | 'cross_kb' | 'permission' | 'admin_only' | 'tenant_suspended';
export type AuthFailureReason = 'missing' | 'malformed' | 'unknown_key' | 'expired' | 'revoked' | 'bad_token' | 'bad_password' | 'inactive';

export interface SecurityEvent {
  type: 'auth_failed' | 'denied';
  reason: AuthFailureReason | DenialKind;
  tenantId?: string;
  kbId?: string;
  principal?: string;
  ip?: string;
  requestId?: string;
  method?: string;
  route?: string;
}

/**
 * The hook through which failed authentication and denials leave the guard.
 * Metrics and audit subscribe; the guard knows neither.
 */
@Injectable()
export class SecurityEvents {
  private readonly listeners: Array<(e: SecurityEvent) => void> = [];

  subscribe(listener: (e: SecurityEvent) => void): void {
    this.listeners.push(listener);
  }

  emit(event: SecurityEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // A listener's failure must never change the answer to the request.
      }
    }
  }
}
