import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_POOL_SIZE, OpenedDatabase } from './data-source.factory';
import { inlineParams, Statement } from './inline-params';

import { ClsServiceManager } from 'nestjs-cls';
import { isDatabaseUnavailable } from '../common/error-mapping';
import { FairSemaphore } from '../common/fair-semaphore';
import { TENANT_KEY } from '../context/tenant-context';
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
/**
 * On the embedded database, an owner's unit of work that gets the connection
 * again while the event loop has not turned for this long (units following
 * each other in promise callbacks) first lets it poll for I/O
 * (DatabaseService.letIoIn).
 */
export const TURN_SLICE_MS = 5;
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
  /**
   * On the embedded database, its one connection taken by one unit of work
   * at a time, handed to the tenants in turn (null on a server: its pools'
   * connections are `connections`). Without it the connection's waiters were one
   * first-come-first-served queue: a tenant with twenty heavy reads in flight
   * made every other tenant's next statement wait behind all twenty.
   */
  readonly turns: FairSemaphore | null;
  /**
   * On a server, each pool's connections (the primary's, each replica's),
   * handed to the tenants in turn, one tenant holding all but one of them
   * (connectionSlots). node-postgres' own waiters are one first-come-first-
   * served queue: a tenant with twenty heavy reads in flight held all ten
   * connections and had ten more queued, and another tenant's next statement
   * waited behind all of them (a CI run saw its query answered 21st of 21).
   */
  readonly connections = new Map<DataSource, FairSemaphore>();
  /** On a server, how long a unit waits for one of its pool's connections before 503 (DATABASE_CONNECT_TIMEOUT_MS). */
  private readonly connectionWaitMs: number = DEFAULT_CONNECT_TIMEOUT_MS;
  /**
   * When the pending loop probe was set (performance.now()), or null when
   * none is pending: a probe is a setImmediate that fires once the event loop
   * next gets past its poll phase. One still pending TURN_SLICE_MS after it
   * was set means units have followed each other without the loop turning.
   */
  private probeSetAt: number | null = null;
  /** Owners whose units had the connection since the loop probe was set (cleared when it fires). */
  private readonly servedSinceTurn = new Set<string>();

  constructor(private readonly db: OpenedDatabase) {
    this.readers = (db.readers ?? []).map((source) => ({ source, connecting: null, downUntil: 0 }));
    this.turns = db.kind === 'pglite' ? new FairSemaphore(1) : null;
    if (db.kind === 'postgres') {
      for (const source of [db.dataSource, ...(db.readers ?? [])]) this.connections.set(source, connectionSlots(source));
      this.connectionWaitMs = Number(poolOptions(db.dataSource).extra?.connectionTimeoutMillis) || DEFAULT_CONNECT_TIMEOUT_MS;
    }
  }

  /**
   * Whose turn a unit of work takes (for the embedded database's connection,
   * or a server pool's): the tenant of
   * the request (or job) it serves when there is one — so a tenant's
   * platform-side units (an audit flush it waits for) queue with its own —
   * else the tenant it runs as, else `platform` (background loops, sign-in
   * and key lookups before the tenant is known).
   */
  private ownerOf(tenantId: string | null): string {
    const cls = ClsServiceManager.getClsService();
    const requestTenant = cls.isActive() ? (cls.get(TENANT_KEY) as string | undefined) : undefined;
    return requestTenant ?? tenantId ?? 'platform';
  }

  /**
   * The embedded database runs on this thread, and a unit's statements
   * resolve as microtasks: units handed on one after another would never let
   * the event loop read another tenant's request until every queued unit
   * ran. Two setImmediate hops pass through the loop's poll phase (the first
   * may land in this iteration's check phase, the second is in the next
   * iteration, after its poll), so requests that arrived meanwhile are read
   * and their units join the turns before this one runs. Only for an owner
   * served again while the loop has not turned for TURN_SLICE_MS (inTurn):
   * yielding before every unit cost a lightly loaded server 10–18 % of its
   * queries (ADR 005).
   */
  private async letIoIn(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Sets the loop probe unless one is pending (it fires, and clears itself, when the loop next turns). */
  private setProbe(): void {
    if (this.probeSetAt !== null) return;
    this.probeSetAt = performance.now();
    setImmediate(() => {
      this.probeSetAt = null;
      this.servedSinceTurn.clear();
    });
  }

  /** Runs `work` in the owner's turn on the embedded database; at once on a server. */
  private async inTurn<T>(tenantId: string | null, work: () => Promise<T>): Promise<T> {
    if (!this.turns) return work();
    const owner = this.ownerOf(tenantId);
    return this.turns.run(async () => {
      // An owner's first unit since the loop last turned serves a request already read: only an
      // owner that has had a turn since then (while the loop has not turned for a while) lets it in first.
      if (this.servedSinceTurn.has(owner) && this.probeSetAt !== null && performance.now() - this.probeSetAt >= TURN_SLICE_MS) await this.letIoIn();
      this.servedSinceTurn.add(owner);
      this.setProbe();
      return work();
    }, owner);
  }

  get dataSource(): DataSource {
    return this.db.dataSource;
  }

  /**
   * Units of work holding a connection (`running`) and waiting for their
   * turn (`waiting`), on the primary (the embedded database's one connection,
   * or the server's pool) and on the replicas' pools together: read for
   * /metrics (database_units). Statements sent outside a unit of work (the
   * health ping, the planner statistics' ANALYZE, the embedded checkpoint)
   * take no turn and are not counted.
   */
  get units(): Record<'primary' | 'replica', { running: number; waiting: number }> {
    const count = (slots: Array<FairSemaphore | null | undefined>) => ({
      running: slots.reduce((n, s) => n + (s?.inFlight ?? 0), 0),
      waiting: slots.reduce((n, s) => n + (s?.waiting ?? 0), 0),
    });
    return {
      primary: count([this.turns, this.connections.get(this.db.dataSource)]),
      replica: count(this.readers.map((r) => this.connections.get(r.source))),
    };
  }

  get kind(): 'pglite' | 'postgres' {
    return this.db.kind;
  }

  async withTenant<T>(tenantId: string, work: (db: Db) => Promise<T>): Promise<T> {
    // With read replicas, a transaction that wrote keeps the tenant's reads on the primary for a while.
    const opts: TransactionOptions = this.readers.length ? { onWrote: () => this.wroteAt.set(tenantId, Date.now()) } : {};
    const source = this.db.dataSource;
    return this.inTurn(tenantId, () => this.onConnection(source, tenantId, () => this.tenantTransaction(source, tenantId, work, opts)));
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
    return this.inTurn(tenantId, () =>
      this.onReader(tenantId, (source) => this.onConnection(source, tenantId, () => this.tenantTransaction(source, tenantId, work, { begin: 'BEGIN READ ONLY' }))),
    );
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
    return this.inTurn(tenantId, () => this.readMessage<T>(tenantId, text));
  }

  private readMessage<T>(tenantId: string, text: string): Promise<T[][]> {
    return this.onReader(tenantId, (source) => this.onConnection(source, tenantId, () => this.sendMessage<T>(source, text)));
  }

  private async sendMessage<T>(source: DataSource, text: string): Promise<T[][]> {
    const runner = source.createQueryRunner();
    try {
      const client = (await runner.connect()) as { query(text: string): Promise<{ rows: T[] } | Array<{ rows: T[] }>> };
      const results = await client.query(text);
      // The first result is the tenant setup's.
      return Array.isArray(results) ? results.slice(1).map((r) => r.rows) : [results.rows];
    } finally {
      await runner.release();
    }
  }

  async withPlatform<T>(work: (db: Db) => Promise<T>): Promise<T> {
    return this.inTransaction(`SELECT set_config('role', '${PLATFORM_ROLE}', true)`, work);
  }

  private inTransaction<T>(setup: string, work: (db: Db) => Promise<T>): Promise<T> {
    const source = this.db.dataSource;
    return this.inTurn(null, () => this.onConnection(source, null, () => runInTransaction(source, setup, work)));
  }

  /**
   * On a server, runs `work` holding one of `source`'s pool connections in
   * the owner's turn (ownerOf, as on the embedded database); at once on the
   * embedded database, whose turns are taken in inTurn. A unit that waits
   * longer than DATABASE_CONNECT_TIMEOUT_MS fails as node-postgres' own wait
   * for a connection does, 503 UNAVAILABLE (the timer is only set for a unit
   * that has to wait).
   */
  private async onConnection<T>(source: DataSource, tenantId: string | null, work: () => Promise<T>): Promise<T> {
    const slots = this.connections.get(source);
    if (!slots) return work();
    const owner = this.ownerOf(tenantId);
    const signal = slots.admits(owner) ? undefined : AbortSignal.timeout(this.connectionWaitMs);
    let release: () => void;
    try {
      release = await slots.acquire(owner, signal);
    } catch (err) {
      // The message node-postgres gives for the same wait, which error mapping answers with 503 UNAVAILABLE.
      if (signal?.aborted) throw new Error(`timeout exceeded when trying to connect: every database connection was busy for ${this.connectionWaitMs} ms`, { cause: err });
      throw err;
    }
    try {
      return await work();
    } finally {
      release();
    }
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

/**
 * The turns on a server pool's connections: its size in all, one owner (a
 * tenant, or the platform's background loops) at most all but one of them,
 * so another tenant's unit gets a connection at once even while one tenant
 * keeps the pool busy — as the compute threads are shared (ADR 005).
 */
function connectionSlots(source: DataSource): FairSemaphore {
  const size = poolOptions(source).poolSize ?? DEFAULT_POOL_SIZE;
  return new FairSemaphore(size, Math.max(1, size - 1));
}

/** The pool settings openDatabase and readerSources gave a server's DataSource (PostgreSQL driver options). */
function poolOptions(source: DataSource): { poolSize?: number; extra?: { connectionTimeoutMillis?: number } } {
  return source.options as { poolSize?: number; extra?: { connectionTimeoutMillis?: number } };
}
