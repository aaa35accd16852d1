import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { OpenedDatabase } from './data-source.factory';
import { inlineParams, Statement } from './inline-params';

import { isDatabaseUnavailable } from '../common/error-mapping';
import { Db, runInTransaction, TransactionOptions } from './db';

export type { Db, Row } from './db';

export const APP_ROLE = 'strata_app';
export const PLATFORM_ROLE = 'strata_platform';

/**
 * After a tenant's write on the primary, its reads stay on the primary this
 * long (read-your-own-writes: a document listed right after it was added),
 * longer than a streaming replica's usual lag (milliseconds on one network).
 */
export const STICKY_AFTER_WRITE_MS = 2_000;
/** A replica that failed a read is left alone this long (the primary serves meanwhile). */
const READER_RETRY_MS = 5_000;

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
  /** Read replicas (DATABASE_READ_URL), each connected on first use and skipped for a while after a failure. */
  private readonly readers: Array<{ source: DataSource; connecting: Promise<DataSource> | null; downUntil: number }>;
  private nextReader = 0;
  /** Tenants that wrote on the primary lately (read-your-own-writes), by time of the write. */
  private readonly wroteAt = new Map<string, number>();
  /** Reads that could go to a replica (withTenantRead, readAsTenant), by where they were served: counted for /metrics (database_reads). */
  readonly reads = { primary: 0, replica: 0 };

  constructor(private readonly db: OpenedDatabase) {
    this.readers = (db.readers ?? []).map((source) => ({ source, connecting: null, downUntil: 0 }));
  }

  get dataSource(): DataSource {
    return this.db.dataSource;
  }

  get kind(): 'pglite' | 'postgres' {
    return this.db.kind;
  }

  async withTenant<T>(tenantId: string, work: (db: Db) => Promise<T>): Promise<T> {
    // With read replicas, a transaction that wrote keeps the tenant's reads on the primary for a while.
    const opts: TransactionOptions = this.readers.length ? { onWrote: () => this.wroteAt.set(tenantId, Date.now()) } : {};
    return this.tenantTransaction(this.db.dataSource, tenantId, work, opts);
  }

  /**
   * A read-only unit of work as the tenant (BEGIN READ ONLY, so a write in
   * it fails loudly on every database). With DATABASE_READ_URL it runs on a
   * streaming replica — round-robin, the same RLS roles and policies, since a
   * replica is a copy of the primary — unless the tenant wrote on the primary
   * in the last STICKY_AFTER_WRITE_MS (read-your-own-writes) or no replica
   * answers (then the primary serves, and the failed replica is left alone
   * for a few seconds).
   */
  async withTenantRead<T>(tenantId: string, work: (db: Db) => Promise<T>): Promise<T> {
    return this.onReader(tenantId, (source) => this.tenantTransaction(source, tenantId, work, { begin: 'BEGIN READ ONLY' }));
  }

  private tenantTransaction<T>(source: DataSource, tenantId: string, work: (db: Db) => Promise<T>, opts: TransactionOptions): Promise<T> {
    // A well-formed id goes into the opening statement itself (one round trip
    // instead of two on every request); anything else takes the parameterised
    // path and fails there exactly as before.
    if (UUID.test(tenantId)) return runInTransaction(source, tenantSetup(tenantId), work, opts);
    return runInTransaction(
      source,
      `SELECT set_config('role', '${APP_ROLE}', true)`,
      async (db) => {
        await db.exec(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
        return work(db);
      },
      opts,
    );
  }

  /** Runs `read` on a replica when one may serve this tenant now, else (or when it fails to connect) on the primary. */
  private async onReader<T>(tenantId: string, read: (source: DataSource) => Promise<T>): Promise<T> {
    const reader = this.pickReader(tenantId);
    if (reader) {
      try {
        const source = await (reader.connecting ??= reader.source.isInitialized ? Promise.resolve(reader.source) : reader.source.initialize());
        const result = await read(source);
        this.reads.replica++;
        return result;
      } catch (err) {
        // The tenant's own errors (a bad value, RLS) are answered as they are; only an unreachable replica falls back.
        if (!isDatabaseUnavailable(err)) throw err;
        reader.connecting = null;
        reader.downUntil = Date.now() + READER_RETRY_MS;
        this.logger.warn({ err: (err as Error).message }, `read replica unavailable: reads go to the primary for ${READER_RETRY_MS / 1000} s`);
      }
    }
    this.reads.primary++;
    return read(this.db.dataSource);
  }

  private pickReader(tenantId: string): (typeof this.readers)[number] | null {
    if (!this.readers.length || this.closed) return null;
    const wrote = this.wroteAt.get(tenantId);
    if (wrote !== undefined) {
      if (Date.now() - wrote < STICKY_AFTER_WRITE_MS) return null;
      this.wroteAt.delete(tenantId);
    }
    const now = Date.now();
    for (let i = 0; i < this.readers.length; i++) {
      const r = this.readers[(this.nextReader + i) % this.readers.length];
      if (r.downUntil <= now) {
        this.nextReader = (this.nextReader + i + 1) % this.readers.length;
        return r;
      }
    }
    return null;
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
    const results = await this.readEachAsTenant<T>(tenantId, statements);
    return results[results.length - 1] ?? [];
  }

  /**
   * readAsTenant's one message, returning the rows of each of `statements`
   * (in their order) instead of the last one's only: for a read made of
   * several independent statements (the graph query modes).
   */
  async readEachAsTenant<T = Record<string, unknown>>(tenantId: string, statements: Statement[]): Promise<T[][]> {
    if (!UUID.test(tenantId)) {
      return this.withTenant(tenantId, async (db) => {
        const all: T[][] = [];
        for (const st of statements) all.push(await db.many<T>(st.sql, st.params));
        return all;
      });
    }
    const text = tenantReadMessage(tenantId, statements);
    return this.onReader(tenantId, async (source) => {
      const runner = source.createQueryRunner();
      try {
        const client = (await runner.connect()) as { query(text: string): Promise<{ rows: T[] } | Array<{ rows: T[] }>> };
        const results = await client.query(text);
        // The first result is the tenant setup's.
        return Array.isArray(results) ? results.slice(1).map((r) => r.rows) : [results.rows];
      } finally {
        await runner.release();
      }
    });
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
