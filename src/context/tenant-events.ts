import { randomUUID } from 'node:crypto';
import { Injectable, Logger, OnApplicationShutdown, OnModuleInit, Optional } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { EventTransport } from './event-transport';
import { PostgresEventTransport } from './postgres-event-transport';
import { RedisEventTransport } from './redis-event-transport';
import { parseTenantEvent, TenantEvent } from './tenant-event';

export { isTenantChange } from './tenant-event';
export type { TenantEvent } from './tenant-event';

/** How changes reach the other replicas: 'local' (one process: PGlite, or a test), the link's kind while it is up, 'degraded' while it is down. */
export type InvalidationState = 'local' | 'redis' | 'postgres' | 'degraded';

/** The largest message sent (PostgreSQL's NOTIFY takes at most 8 000 bytes; an event is ~150). */
const MAX_MESSAGE = 4000;

/**
 * The one path by which changes reach whoever keeps state about them: the
 * caches of tenant status, user status, API keys, tenant limits and tenant
 * LLM keys forget what changed, the RAG instance factory invalidates, files
 * are purged. Services emit; they never call a cache directly.
 *
 * On this replica, listeners run synchronously up to their first await, so a
 * synchronous cache deletion has happened when emit() returns. Every other
 * replica hears the event through the transport — Redis pub/sub with
 * REDIS_URL, else PostgreSQL LISTEN/NOTIFY when DATABASE_URL is a server —
 * and runs the same listeners. While the link is down, nothing can tell this
 * replica what changed elsewhere: the state is 'degraded' (logged, in
 * /health/ready), and the caches' own short TTLs bound how stale an entry
 * can get; when the link is back, every cache is cleared (resync), since
 * events may have been missed meanwhile.
 */
@Injectable()
export class TenantEvents implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(TenantEvents.name);
  private readonly listeners: Array<(e: TenantEvent) => void | Promise<void>> = [];
  private readonly resyncListeners: Array<() => void | Promise<void>> = [];
  /** Messages carrying this origin are this process's own, already applied. */
  private readonly origin = randomUUID();
  private readonly transport: EventTransport | null;
  private linkUp = false;
  private wasDown = false;

  constructor(@Optional() config?: AppConfig) {
    const s = config?.settings;
    this.transport = !s ? null : s.redisUrl ? new RedisEventTransport(s.redisUrl, `${s.redisKeyPrefix}events`) : s.databaseUrl ? new PostgresEventTransport(s.databaseUrl) : null;
  }

  async onModuleInit(): Promise<void> {
    if (!this.transport) return;
    await this.transport.start(
      (m) => this.receive(m),
      (up) => this.link(up),
    );
    if (!this.linkUp) {
      this.wasDown = true;
      this.logger.warn(
        { transport: this.transport.kind },
        'change events cannot reach other replicas yet: cached keys, users and tenants expire after their TTL (5 s) until the link is up',
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.transport?.close();
  }

  get state(): InvalidationState {
    if (!this.transport) return 'local';
    return this.linkUp ? this.transport.kind : 'degraded';
  }

  subscribe(listener: (e: TenantEvent) => void | Promise<void>): void {
    this.listeners.push(listener);
  }

  /** Called when events may have been missed: forget everything cached about tenants, keys, users and KBs. */
  onResync(listener: () => void | Promise<void>): void {
    this.resyncListeners.push(listener);
  }

  emit(event: TenantEvent): void {
    this.apply(event);
    if (!this.transport) return;
    const message = JSON.stringify({ v: 1, origin: this.origin, event });
    this.transport.publish(message).catch((err: Error) => {
      // The change holds here; elsewhere it waits for the caches' TTL, and the resync after the link returns.
      this.logger.warn({ transport: this.transport?.kind, event: event.type, err: err.message }, 'could not publish a change event to the other replicas');
    });
  }

  private apply(event: TenantEvent): void {
    for (const l of this.listeners) run(() => l(event));
  }

  private receive(message: string): void {
    if (message.length > MAX_MESSAGE) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      return;
    }
    const m = parsed as { v?: unknown; origin?: unknown; event?: unknown } | null;
    if (!m || typeof m !== 'object' || m.v !== 1 || typeof m.origin !== 'string' || m.origin === this.origin) return;
    const event = parseTenantEvent(m.event);
    if (event) this.apply(event);
  }

  private link(up: boolean): void {
    if (up === this.linkUp) return;
    this.linkUp = up;
    const transport = this.transport?.kind;
    if (!up) {
      this.wasDown = true;
      this.logger.warn({ transport }, 'change events cannot reach other replicas: cached keys, users and tenants expire after their TTL (5 s) until the link is back');
      return;
    }
    if (this.wasDown) {
      this.wasDown = false;
      this.logger.log({ transport }, 'change events reach the other replicas again: caches cleared, since events may have been missed');
      for (const l of this.resyncListeners) run(l);
    }
  }
}

/** Listeners never change the caller's outcome. */
function run(work: () => void | Promise<void>): void {
  try {
    void Promise.resolve(work()).catch(() => undefined);
  } catch {
    // ignored
  }
}
