/**
 * How TenantEvents reach the other replicas: a broadcast channel (Redis
 * pub/sub, or PostgreSQL LISTEN/NOTIFY) carrying one JSON message per event.
 * A transport reconnects by itself after a failure and says when it is up
 * or down; it never delivers a message of its own process twice, since
 * TenantEvents skips messages carrying its own origin.
 */
export interface EventTransport {
  /** 'redis' or 'postgres': shown in /health/ready while the link is up. */
  readonly kind: 'redis' | 'postgres';
  /** Connects (and keeps reconnecting) until close(); `deliver` gets every message of the channel, `onLink` each change of the link. */
  start(deliver: (message: string) => void, onLink: (up: boolean) => void): Promise<void>;
  /** Sends one message; rejects when the link is down. */
  publish(message: string): Promise<void>;
  /** Stops for good: no reconnect, no delivery after it resolves. */
  close(): Promise<void>;
}

/** Waits between reconnection attempts: 100 ms doubling to 2 s. */
export function reconnectDelay(attempt: number): number {
  return Math.min(2000, 100 * 2 ** Math.min(attempt, 5));
}
