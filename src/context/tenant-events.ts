import { Injectable } from '@nestjs/common';

export interface TenantEvent {
  type: 'created' | 'updated' | 'deleted' | 'purged' | 'kb_created' | 'kb_updated' | 'kb_deleted';
  tenantId: string;
  kbId?: string;
}

/**
 * Tenant and KB lifecycle changes, for whoever keeps state about them (the RAG
 * instance factory invalidates, metrics count, files are purged).
 */
@Injectable()
export class TenantEvents {
  private readonly listeners: Array<(e: TenantEvent) => void | Promise<void>> = [];

  subscribe(listener: (e: TenantEvent) => void | Promise<void>): void {
    this.listeners.push(listener);
  }

  emit(event: TenantEvent): void {
    for (const l of this.listeners) {
      try {
        void Promise.resolve(l(event)).catch(() => undefined);
      } catch {
        // listeners never change the request's outcome
      }
    }
  }
}
