import { FairSemaphore } from '../common/fair-semaphore';

/** Page reads of audit chain walks in flight at once, all chains together (one per chain). */
export const VERIFY_PAGE_SLOTS = 2;
/**
 * Rows per page read of a walk. On the embedded database a read runs in the
 * server's own thread (PGlite), rows and protocol alike: a page of 1 000
 * rows held it for 21–53 ms, one of 250 for 5–27 ms (12 000-row chain,
 * quiet machine), which is about the longest another tenant's request waits
 * for one page.
 */
export const VERIFY_PAGE_ROWS = 250;

/**
 * Bounds what verifying audit chains may cost the server, whoever asks and
 * however often. A walk reads its chain a page (1 000 rows) at a time, and
 * `audit:read` callers may ask as often as the rate limit lets them; without
 * this, a tenant sending twenty verifies of a long chain at once ran twenty
 * walks, whose page reads filled the database pool (PGlite's one connection)
 * ahead of every other tenant's statements.
 * - **One walk per chain at a time, and one more queued.** A verify that
 *   arrives while a walk of its chain is queued and not yet started joins
 *   that walk and gets its result; it started after the caller asked, so it
 *   covers every row written before the call, as a walk of its own would.
 *   A verify that arrives while a walk is running queues the next one. So
 *   any number of concurrent verifies of one chain costs at most two walks.
 * - **Page reads in turn.** Every walk's page read takes one of
 *   VERIFY_PAGE_SLOTS slots of a FairSemaphore whose owner is the walk (at
 *   most one slot each): another walk is never behind more than one page of
 *   each walk in progress, and verification as a whole holds at most
 *   VERIFY_PAGE_SLOTS database connections.
 * - **Other requests between pages.** Each page read first yields to the
 *   event loop (setImmediate). On PGlite a walk's reads otherwise followed
 *   each other in promise callbacks alone, and no other request was even
 *   read off its socket until the walk ended (measured: twenty verifies of a
 *   12 000-row chain reached the handler one walk, ~1.5 s, apart).
 */
export class VerifyScheduler {
  private readonly pages = new FairSemaphore(VERIFY_PAGE_SLOTS, 1);
  private readonly queued = new Map<string, Promise<unknown>>();
  private readonly running = new Map<string, Promise<unknown>>();

  /**
   * Runs `walk` for the chain `key` after any running walk of it, or joins
   * the walk of `key` that is queued and not yet started.
   */
  walk<T>(key: string, walk: () => Promise<T>): Promise<T> {
    const joined = this.queued.get(key);
    if (joined) return joined as Promise<T>;
    const before = this.running.get(key) ?? Promise.resolve();
    const started: Promise<T> = before
      .catch(() => undefined)
      .then(() => {
        this.queued.delete(key);
        this.running.set(key, started);
        return walk();
      })
      .finally(() => {
        if (this.running.get(key) === started) this.running.delete(key);
      });
    this.queued.set(key, started);
    return started;
  }

  /** One page read of the walk of `owner` (a chain, or the platform-wide walk), after other requests had their turn and in turn with the other walks. */
  async page<T>(owner: string, read: () => Promise<T>): Promise<T> {
    await new Promise((r) => setImmediate(r));
    return this.pages.run(read, owner);
  }

  /** Page reads in flight and waiting, for tests and metrics. */
  get pageReads(): { inFlight: number; waiting: number } {
    return { inFlight: this.pages.inFlight, waiting: this.pages.waiting };
  }
}
