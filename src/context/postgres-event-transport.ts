import { Client } from 'pg';
import { EventTransport, reconnectDelay } from './event-transport';

/** The channel name (an identifier: NOTIFY's channel is not a parameter). */
export const PG_CHANNEL = 'strata_events';

/**
 * TenantEvents between replicas through PostgreSQL's LISTEN/NOTIFY, used when
 * DATABASE_URL names a server and REDIS_URL is not set: one dedicated
 * connection per replica (LISTEN needs a session of its own, outside the
 * pool) that listens and also sends (pg_notify). A lost connection is
 * reopened after a backoff until close(); NOTIFY reaches only sessions of the
 * same database, which is what the replicas share.
 */
export class PostgresEventTransport implements EventTransport {
  readonly kind = 'postgres' as const;
  private client: Client | null = null;
  private closed = false;
  private timer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private deliver: (message: string) => void = () => undefined;
  private onLink: (up: boolean) => void = () => undefined;

  constructor(private readonly url: string) {}

  async start(deliver: (message: string) => void, onLink: (up: boolean) => void): Promise<void> {
    this.deliver = deliver;
    this.onLink = onLink;
    await this.connect();
  }

  async publish(message: string): Promise<void> {
    if (!this.client) throw new Error('the PostgreSQL event connection is down');
    await this.client.query('SELECT pg_notify($1, $2)', [PG_CHANNEL, message]);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const c = this.client;
    this.client = null;
    if (c) await c.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    let c: Client | null = null;
    try {
      c = new Client({ connectionString: this.url, connectionTimeoutMillis: 5000, application_name: 'strata-events', keepAlive: true });
      const client = c;
      client.on('notification', (n) => {
        if (n.channel === PG_CHANNEL && n.payload !== undefined && client === this.client) this.deliver(n.payload);
      });
      client.on('error', () => this.lost(client));
      client.on('end', () => this.lost(client));
      await client.connect();
      await client.query(`LISTEN ${PG_CHANNEL}`);
    } catch {
      await c?.end().catch(() => undefined);
      this.retry();
      return;
    }
    if (this.closed) {
      await c.end().catch(() => undefined);
      return;
    }
    this.client = c;
    this.attempt = 0;
    this.onLink(true);
  }

  /** The live connection failed or ended: drop it and reconnect (unless closing). */
  private lost(c: Client): void {
    if (c !== this.client) return;
    this.client = null;
    void c.end().catch(() => undefined);
    if (this.closed) return;
    this.onLink(false);
    this.retry();
  }

  private retry(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, reconnectDelay(this.attempt++));
    this.timer.unref();
  }
}
