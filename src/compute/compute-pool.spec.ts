import { join } from 'node:path';
import { AppConfig } from '../config/app-config';
import { ComputeAborted, ComputePool } from './compute-pool';

const SPIN = join(__dirname, '..', '..', 'test', 'support', 'spin.worker.js');

function pool(threads: number): ComputePool {
  return new ComputePool({ settings: { computeThreads: threads, computeThreadMemoryMb: 256 } } as AppConfig);
}

describe('ComputePool: the threads are shared by tenants in turn', () => {
  let p: ComputePool;
  afterEach(async () => {
    await p?.onApplicationShutdown();
  });

  it("tenant B's one task, sent after tenant A's six, runs in the next turn instead of after all six", async () => {
    p = pool(1);
    // Start the thread first, so the order below is the order of the queue, not of a thread starting.
    await p.run(SPIN, { ms: 1, tag: 'warm' }, undefined, 'warm');
    const done: string[] = [];
    const run = (owner: string, tag: string) => p.run<{ ms: number; tag: string }, string>(SPIN, { ms: 60, tag }, undefined, owner).then((t) => void done.push(t));
    const a = Array.from({ length: 6 }, (_, i) => run('tenant-a', `a${i}`));
    const b = run('tenant-b', 'b0');
    await Promise.all([...a, b]);
    // a0 was running, a1 was queued before B: B's turn comes next. First come, first served ran it 7th.
    expect(done).toEqual(['a0', 'a1', 'b0', 'a2', 'a3', 'a4', 'a5']);
  });

  it('a task whose budget ends while it waits for a thread is taken out of the queue (ComputeAborted budget); the others run', async () => {
    p = pool(1);
    const running = p.run<{ ms: number; tag: string }, string>(SPIN, { ms: 300, tag: 'long' }, undefined, 'tenant-a');
    const waiting = p.run(SPIN, { ms: 1, tag: 'late' }, AbortSignal.timeout(50), 'tenant-b');
    await expect(waiting).rejects.toMatchObject({ name: 'ComputeAborted', reason: 'budget' });
    await expect(waiting).rejects.toBeInstanceOf(ComputeAborted);
    expect(await running).toBe('long');
    expect(await p.run(SPIN, { ms: 1, tag: 'after' }, undefined, 'tenant-b')).toBe('after');
  });
});
