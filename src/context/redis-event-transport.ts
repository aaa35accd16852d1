import Redis from 'ioredis';
import { EventTransport, reconnectDelay } from './event-transport';

/**
 * TenantEvents between replicas through Redis pub/sub on
 * `<REDIS_KEY_PREFIX>events`: a subscriber connection (a subscribed Redis
 * connection can do nothing else) and a publisher. ioredis reconnects both by
 * itself and re-subscribes; commands are not queued while offline, so a
 * publish during an outage fails at once instead of arriving late.
 */
export class RedisEventTransport implements EventTransport {
  readonly kind = 'redis' as const;
  private readonly sub: Redis;
  private readonly pub: Redis;
  private up = false;
  private closed = false;

  constructor(
    url: string,
    private readonly channel: string,
  ) {
    const opts = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 2000,
      retryStrategy: (attempt: number) => (this.closed ? null : reconnectDelay(attempt)),
    };
    this.sub = new Redis(url, opts);
    this.pub = new Redis(url, opts);
  }

  async start(deliver: (message: string) => void, onLink: (up: boolean) => void): Promise<void> {
    const link = (up: boolean) => {
      if (this.closed || up === this.up) return;
      this.up = up;
      onLink(up);
    };
    this.sub.on('message', (channel: string, message: string) => {
      if (channel === this.channel && !this.closed) deliver(message);
    });
    // Subscribed again after every (re)connection (harmless when ioredis already re-subscribed).
    let subscribed = false;
    this.sub.on('ready', () => {
      subscribed = false;
      this.sub
        .subscribe(this.channel)
        .then(() => {
          subscribed = true;
          link(this.pub.status === 'ready');
        })
        .catch(() => undefined);
    });
    this.pub.on('ready', () => link(subscribed && this.sub.status === 'ready'));
    for (const c of [this.sub, this.pub]) {
      c.on('error', () => undefined); // reported through 'close' → link down; ioredis retries
      c.on('close', () => {
        if (c === this.sub) subscribed = false;
        link(false);
      });
    }
    await Promise.all([this.pub.connect().catch(() => undefined), this.sub.connect().catch(() => undefined)]);
  }

  async publish(message: string): Promise<void> {
    await this.pub.publish(this.channel, message);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([this.sub, this.pub].map((c) => c.quit().catch(() => c.disconnect())));
  }
}
