import type { DataSource, QueryRunner } from 'typeorm';

/** A result row as the driver gives it, before a repository names its shape. */
export type Row = Record<string, unknown>;

/**
 * What repositories receive: parameterised SQL inside the current unit of
 * work (DatabaseService.withTenant / withPlatform), with one result shape per
 * intent. The driver's shapes (TypeORM answers a bare UPDATE/DELETE with
 * [rows, rowCount] and a SELECT with the rows) are normalised here, once:
 *  - many: every row the statement returns (SELECT, or any statement with RETURNING);
 *  - one: the first row, or undefined;
 *  - exec: the number of rows the statement wrote (INSERT/UPDATE/DELETE), or
 *    the number it returned for a SELECT.
 */
export interface Db {
  many<T = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  one<T = Row>(sql: string, params?: readonly unknown[]): Promise<T | undefined>;
  exec(sql: string, params?: readonly unknown[]): Promise<number>;
}

/** Called with every statement the database refused (observers never change the outcome). */
export type QueryErrorObserver = (err: unknown, sql: string) => void;
const queryErrorObservers = new Set<QueryErrorObserver>();

/** Registers an observer of failed statements (metrics count RLS refusals); returns its removal. */
export function observeQueryErrors(observer: QueryErrorObserver): () => void {
  queryErrorObservers.add(observer);
  return () => queryErrorObservers.delete(observer);
}

function reportQueryError(err: unknown, sql: string): void {
  for (const observe of queryErrorObservers) {
    try {
      observe(err, sql);
    } catch {
      // an observer never changes the statement's outcome
    }
  }
}

/** A Db on one TypeORM query runner (one connection, usually inside a transaction). */
export class RunnerDb implements Db {
  constructor(private readonly runner: QueryRunner) {}

  private async run(sql: string, params: readonly unknown[] | undefined): Promise<{ records?: unknown[]; affected?: number }> {
    try {
      return await this.runner.query(sql, params ? [...params] : undefined, true);
    } catch (err) {
      reportQueryError(err, sql);
      throw err;
    }
  }

  async many<T = Row>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    const r = await this.run(sql, params);
    return (r.records ?? []) as T[];
  }

  async one<T = Row>(sql: string, params?: readonly unknown[]): Promise<T | undefined> {
    return (await this.many<T>(sql, params))[0];
  }

  async exec(sql: string, params?: readonly unknown[]): Promise<number> {
    const r = await this.run(sql, params);
    return r.affected ?? r.records?.length ?? 0;
  }
}

/**
 * BEGIN and `setup` sent as one simple-protocol message, then the work on the
 * same connection, then COMMIT (ROLLBACK on any error). `setup` is built from
 * constants and a validated UUID only, never from input text.
 */
export interface TransactionOptions {
  /** `BEGIN` by default; `BEGIN READ ONLY` for a unit of work that must not write. */
  begin?: string;
  /**
   * Called after the commit when the transaction wrote something (it was
   * given a transaction id): asked in the same round trip as COMMIT.
   */
  onWrote?: () => void;
}

export async function runInTransaction<T>(dataSource: DataSource, setup: string, work: (db: Db) => Promise<T>, opts: TransactionOptions = {}): Promise<T> {
  const runner = dataSource.createQueryRunner();
  const client = (await runner.connect()) as { query(text: string): Promise<unknown> };
  let committing = false;
  try {
    await runner.query(`${opts.begin ?? 'BEGIN'}; ${setup}`);
    const result = await work(new RunnerDb(runner));
    committing = true;
    if (opts.onWrote) {
      // node-postgres returns one result per statement of a simple-protocol message.
      const [asked] = (await client.query('SELECT pg_current_xact_id_if_assigned() IS NOT NULL AS wrote; COMMIT')) as Array<{ rows: Array<{ wrote: boolean }> }>;
      if (asked.rows[0]?.wrote) opts.onWrote();
    } else await runner.query('COMMIT');
    return result;
  } catch (err) {
    // Before COMMIT the transaction may be open (or aborted): end it so the
    // connection goes back to the pool clean. A failed COMMIT already ended it.
    if (!committing) await runner.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await runner.release();
  }
}
