import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DatabaseService } from '../../database/database.service';

/** The tables whose row estimates decide the retrieval plans. Fixed names, never input. */
export const RAG_TABLES = ['chunks', 'entities', 'relations', 'entity_chunks', 'relation_chunks'] as const;
/**
 * Every table that grows with use, read by ranges of a tenant's rows: the RAG
 * tables and the audit, usage and document tables. Fixed names, never input.
 */
export const STATS_TABLES = [...RAG_TABLES, 'documents', 'audit_log', 'usage_events'] as const;
/** How often growth is checked besides after each indexed document: autovacuum's default naptime. */
const CHECK_EVERY_MS = 60_000;

/** A table is re-analyzed once it has grown by this share of its pages since the last ANALYZE. */
const GROWTH = 0.1;

/**
 * Keeps the planner's statistics current as tables grow. PGlite runs no
 * autovacuum at all, and on a server autovacuum lags a bulk load by up to a
 * minute; with a table never analyzed the planner estimates one row per KB
 * and picks nested loops that scan a whole KB per row (measured on the SQuAD
 * KB on the server: the local-mode relation query 143 ms before ANALYZE,
 * 17.5 ms after), and reads a page of a tenant's audit chain by sorting all
 * of the chain's later rows instead of walking the (tenant_id, seq) index
 * (measured on PGlite, 12 000 rows: a bitmap scan of 6 003 rows and a sort
 * for every page, against an index scan that stops at the page's end).
 *
 * At start-up, every minute and after each indexed document (the worker
 * calls `changed()`), one check at a time compares each table's current size in
 * pages (always exact, cheap) with the pages recorded at its last ANALYZE
 * and analyzes the tables that grew by
 * more than 10 % — the same spirit as autovacuum's analyze threshold, so a
 * large table is not re-sampled for every small document. Runs as the
 * connecting user (the tables' owner; ANALYZE reads no rows into the app).
 */
@Injectable()
export class PlannerStatistics implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(PlannerStatistics.name);
  private running: Promise<string[]> | null = null;
  private pending = false;
  private timer?: NodeJS.Timeout;

  constructor(private readonly db: DatabaseService) {}

  /**
   * At start-up (rows may have arrived while no worker ran: a LightRAG
   * import, a restore), then every minute: audit and usage rows arrive with
   * every request, not only with indexing.
   */
  onApplicationBootstrap(): void {
    this.changed();
    this.timer = setInterval(() => this.changed(), CHECK_EVERY_MS);
    this.timer.unref();
  }

  /** Before the database closes (onApplicationShutdown): no check starts, and one in progress ends first. */
  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.settled();
  }

  /** Notes that RAG tables changed; refreshes what grew enough, in the background. */
  changed(): void {
    if (this.running) {
      this.pending = true;
      return;
    }
    this.running = this.refresh()
      .catch((err: unknown) => {
        this.logger.warn({ err }, 'could not refresh planner statistics');
        return [];
      })
      .finally(() => {
        this.running = null;
        if (this.pending) {
          this.pending = false;
          this.changed();
        }
      });
  }

  /** Waits for a refresh in progress (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Analyzes the tables (STATS_TABLES) that grew by more than 10 % since their last ANALYZE; returns their names. */
  async refresh(): Promise<string[]> {
    const grown: Array<{ relname: string }> = await this.db.dataSource.query(
      `SELECT c.relname
       FROM pg_class c
       WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND c.relname = ANY($1)
         AND pg_relation_size(c.oid) / current_setting('block_size')::int > c.relpages * (1 + $2::float8)`,
      [[...STATS_TABLES], GROWTH],
    );
    // The names come from pg_class filtered by STATS_TABLES above: fixed identifiers, never input.
    const names = grown.map((r) => r.relname);
    if (names.length) await this.db.dataSource.query(`ANALYZE ${names.join(', ')}`);
    return names;
  }
}
