/** Thrown by FairSemaphore.acquire when `maxWaiting` calls already wait. */
export class SemaphoreQueueFull extends Error {
  constructor() {
    super('too many callers are waiting for a slot');
    this.name = 'SemaphoreQueueFull';
  }
}

interface Waiter {
  grant: () => void;
}

/**
 * A counting semaphore shared by owners (tenants): at most `limit` holders at
 * once and at most `ownerLimit` of them of one owner. Waiters queue per owner
 * (first come, first served within an owner), and a freed slot goes to the
 * owners in turn (round robin), so a tenant with a hundred calls queued does
 * not make another tenant's single call wait behind all of them, and a tenant
 * whose calls hang holds at most `ownerLimit` slots. An owner alone uses up
 * to `ownerLimit` slots; no slot is kept idle while an owner under its cap
 * waits. Used for the model providers' concurrency (LLM_MAX_ASYNC), the
 * compute threads (COMPUTE_THREADS) and the database connections
 * (DatabaseService: the embedded database's one, a server pool's many).
 */
export class FairSemaphore {
  private active = 0;
  private readonly held = new Map<string, number>();
  /** Waiters by owner; the Map's order is the turn order (an owner served moves to the back). */
  private readonly queues = new Map<string, Waiter[]>();
  private queued = 0;
  readonly ownerLimit: number;

  /**
   * @param maxWaiting callers that may wait at once, all owners together;
   *   one more is refused with SemaphoreQueueFull (default: no bound).
   */
  constructor(
    readonly limit: number,
    ownerLimit = limit,
    private readonly maxWaiting = Infinity,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`Semaphore limit must be a positive integer, got ${limit}`);
    if (!Number.isInteger(ownerLimit) || ownerLimit < 1) throw new Error(`Semaphore owner limit must be a positive integer, got ${ownerLimit}`);
    this.ownerLimit = Math.min(ownerLimit, limit);
  }

  get inFlight(): number {
    return this.active;
  }

  /** Slots held by one owner. */
  heldBy(owner: string): number {
    return this.held.get(owner) ?? 0;
  }

  /** Calls waiting for a slot, all owners. */
  get waiting(): number {
    return this.queued;
  }

  /** True when a call of `owner` would get a slot at once (a free slot, the owner under its cap, none of its calls waiting). */
  admits(owner = ''): boolean {
    return this.active < this.limit && this.heldBy(owner) < this.ownerLimit && !this.queues.has(owner);
  }

  /**
   * Resolves with the release function once a slot is this owner's. A
   * `signal` that aborts while the call waits takes it out of the queue and
   * rejects with the signal's reason; it does not touch a slot already granted.
   */
  async acquire(owner = '', signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.admits(owner)) {
      this.take(owner);
    } else {
      if (this.queued >= this.maxWaiting) throw new SemaphoreQueueFull();
      // Granted by a release: grant() takes the slot for this owner before calling `grant`.
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          const q = this.queues.get(owner);
          const i = q ? q.indexOf(waiter) : -1;
          if (i < 0) return; // already granted
          q!.splice(i, 1);
          this.queued--;
          if (!q!.length) this.queues.delete(owner);
          reject(signal!.reason);
        };
        const waiter: Waiter = {
          grant: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        const q = this.queues.get(owner);
        if (q) q.push(waiter);
        else this.queues.set(owner, [waiter]);
        this.queued++;
        this.grant();
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      const n = this.heldBy(owner) - 1;
      if (n > 0) this.held.set(owner, n);
      else this.held.delete(owner);
      this.grant();
    };
  }

  async run<T>(fn: () => Promise<T>, owner = '', signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(owner, signal);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  private take(owner: string): void {
    this.active++;
    this.held.set(owner, this.heldBy(owner) + 1);
  }

  /** Hands free slots to waiting owners in turn, skipping owners at their cap. */
  private grant(): void {
    while (this.active < this.limit) {
      let next: Waiter | undefined;
      for (const [owner, q] of this.queues) {
        if (this.heldBy(owner) >= this.ownerLimit) continue;
        next = q.shift();
        this.queued--;
        this.queues.delete(owner);
        if (q.length) this.queues.set(owner, q);
        this.take(owner);
        break;
      }
      if (!next) return;
      next.grant();
    }
  }
}
