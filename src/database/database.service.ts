import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { OpenedDatabase } from './data-source.factory';

/** What repositories receive: something that runs parameterised SQL inside the current transaction. */
export type Db = Pick<EntityManager, 'query'>;

export const APP_ROLE = 'strata_app';
export const PLATFORM_ROLE = 'strata_platform';

/**
 * The only way application code reaches the database. Every unit of work is a
 * transaction that first drops to a role that is neither superuser nor table
 * owner, so PostgreSQL row-level security applies:
 *  - withTenant(tenantId): role strata_app with `app.tenant_id` set for this
 *    transaction only (set_config(..., true) = SET LOCAL); the policies let it
 *    see that tenant's rows and nothing else — the second wall behind the
 *    repositories' own tenant filters.
 *  - withPlatform(): role strata_platform, for the few platform-wide paths
 *    (admin tenant listing, login, API-key lookup by hash, the job queue).
 */
@Injectable()
export class DatabaseService implements OnApplicationShutdown {
  private readonly logger = new Logger(DatabaseService.name);
  private closed = false;

  constructor(private readonly db: OpenedDatabase) {}

  get dataSource(): DataSource {
    return this.db.dataSource;
  }

  get kind(): 'pglite' | 'postgres' {
    return this.db.kind;
  }

  async withTenant<T>(tenantId: string, work: (db: Db) => Promise<T>): Promise<T> {
    return this.db.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT set_config('role', '${APP_ROLE}', true), set_config('app.tenant_id', $1, true)`, [tenantId]);
      return work(manager);
    });
  }

  async withPlatform<T>(work: (db: Db) => Promise<T>): Promise<T> {
    return this.db.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT set_config('role', '${PLATFORM_ROLE}', true)`);
      return work(manager);
    });
  }

  async ping(): Promise<boolean> {
    if (this.closed) return false;
    try {
      await this.db.dataSource.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.db.close();
      this.logger.log('database closed');
    } catch (err) {
      this.logger.error({ err }, 'error while closing the database');
    }
  }
}
