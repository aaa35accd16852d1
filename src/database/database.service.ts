import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { OpenedDatabase } from './data-source.factory';
import { inlineParams, Statement } from './inline-params';

import { Db, runInTransaction } from './db';

export type { Db, Row } from './db';

export const APP_ROLE = 'strata_app';
export const PLATFORM_ROLE = 'strata_platform';

/** WAL written since the last checkpoint above which the embedded database checkpoints (checkpointIfDue). */
export const EMBEDDED_WAL_LIMIT = 64 * 1024 * 1024;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The tenant setup with the id inlined; only for an id that matched UUID (constants and hex digits, nothing else). */
function tenantSetup(tenantId: string): string {
  return `SELECT set_config('role', '${APP_ROLE}', true), set_config('app.tenant_id', '${tenantId}', true)`;
}

/**
 * The one simple-protocol message of DatabaseService.readAsTenant: the tenant
 * setup, then each statement with its values bound client-side. Exported for
 * bench/rag-query.js, which sends the same message through its own pool.
 */
export function tenantReadMessage(tenantId: string, statements: Statement[]): string {
  if (!UUID.test(tenantId)) throw new Error('tenantReadMessage: the tenant id must be a UUID');
  return [tenantSetup(tenantId), ...statements.map(inlineParams)].join(';\n');
}

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
    // A well-formed id goes into the opening statement itself (one round trip
    // instead of two on every request); anything else takes the parameterised
    // path and fails there exactly as before.
    if (UUID.test(tenantId)) return this.inTransaction(tenantSetup(tenantId), work);
    return this.inTransaction(`SELECT set_config('role', '${APP_ROLE}', true)`, async (db) => {
      await db.exec(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
      return work(db);
    });
  }

  /**
   * A read-only unit of work as the tenant in ONE round trip, for the query
   * hot path: the role setup and `statements` go as one simple-protocol
   * message, which PostgreSQL runs as one implicit transaction — the SET
   * LOCALs (role strata_app, app.tenant_id) hold for these statements and end
   * with them, exactly as in withTenant, without BEGIN and COMMIT travelling
   * separately (3 round trips → 1). Values are bound client-side by
   * inlineParams (driver escaping, finite numbers only). Returns the rows of
   * the last statement. A tenant id that is not a UUID takes withTenant's
   * parameterised path.
   */
  async readAsTenant<T = Record<string, unknown>>(tenantId: string, statements: Statement[]): Promise<T[]> {
    if (!UUID.test(tenantId)) {
      return this.withTenant(tenantId, async (db) => {
        let rows: T[] = [];
        for (const st of statements) rows = await db.many<T>(st.sql, st.params);
        return rows;
      });
    }
    const text = tenantReadMessage(tenantId, statements);
    const runner = this.db.dataSource.createQueryRunner();
    try {
      const client = (await runner.connect()) as { query(text: string): Promise<{ rows: T[] } | Array<{ rows: T[] }>> };
      const results = await client.query(text);
      return Array.isArray(results) ? results[results.length - 1].rows : results.rows;
    } finally {
      await runner.release();
    }
  }

  async withPlatform<T>(work: (db: Db) => Promise<T>): Promise<T> {
    return this.inTransaction(`SELECT set_config('role', '${PLATFORM_ROLE}', true)`, work);
  }

  private inTransaction<T>(setup: string, work: (db: Db) => Promise<T>): Promise<T> {
    return runInTransaction(this.db.dataSource, setup, work);
  }

  /**
   * The embedded database (PGlite) is PostgreSQL in single-user mode: there
   * is no checkpointer, so WAL segments pile up until something checkpoints
   * (in memory with DATA_DIR=memory://, on disk otherwise; measured: ingesting
   * a 5 MB text left ~400 MB of WAL in memory). The ingestion worker calls
   * this between jobs: it checkpoints once more than `limitBytes` of WAL were
   * written since the last checkpoint, which lets PostgreSQL recycle the older
   * segments. A no-op on a PostgreSQL server, whose checkpointer does this.
   */
  async checkpointIfDue(limitBytes = EMBEDDED_WAL_LIMIT): Promise<boolean> {
    if (this.db.kind !== 'pglite' || this.closed) return false;
    const [row] = await this.db.dataSource.query(`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), redo_lsn)::bigint AS bytes FROM pg_control_checkpoint()`);
    if (Number(row?.bytes ?? 0) <= limitBytes) return false;
    await this.db.dataSource.query('CHECKPOINT');
    return true;
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
