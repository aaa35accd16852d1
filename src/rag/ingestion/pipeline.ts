/**
 * Scheduling helpers of the ingestion pipeline (IngestionService,
 * embedFacts): spread independent calls over a few lanes while keeping their
 * results in input order, and time the stages of one document.
 */

/**
 * `work` on every item with at most `lanes` calls in flight; the results come
 * back in the items' order, whatever order the calls finish in. After a call
 * fails no lane starts another item; the first failure is thrown once the
 * calls already started have settled (none is left running behind).
 */
export async function mapInOrder<T, R>(items: readonly T[], lanes: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  let failure: unknown;
  const lane = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await work(items[i], i);
      } catch (err) {
        if (!failed) failure = err;
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(lanes, items.length)) }, lane));
  if (failed) throw failure;
  return results;
}

/**
 * Milliseconds spent per stage of one document, for the "document ingested"
 * log line. Stages that overlap (extraction in the threads while the batch is
 * embedded and the previous one is written) each count their own wall time,
 * so the stages add up to more than `total`.
 */
export class StageTiming {
  private readonly started = performance.now();
  private readonly ms = new Map<string, number>();

  async time<T>(stage: string, work: () => Promise<T>): Promise<T> {
    const t = performance.now();
    try {
      return await work();
    } finally {
      this.add(stage, performance.now() - t);
    }
  }

  sync<T>(stage: string, work: () => T): T {
    const t = performance.now();
    try {
      return work();
    } finally {
      this.add(stage, performance.now() - t);
    }
  }

  report(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [stage, ms] of this.ms) out[stage] = Math.round(ms);
    out.total = Math.round(performance.now() - this.started);
    return out;
  }

  private add(stage: string, ms: number): void {
    this.ms.set(stage, (this.ms.get(stage) ?? 0) + ms);
  }
}
