import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseSettings } from '../config/app-config';

/**
 * The cap is a V8 setting, so it is observed in a child process: ~60 MB stay
 * live while short-lived garbage (kept long enough to be promoted, as a
 * chunk's NLP model is) flows through; the child reports the largest heap V8
 * committed. Heap sizes, not times: GC heuristics decide them, the machine's
 * speed does not. Runs the built module (npm test builds first), as the
 * server process does.
 */
const BUILT = join(__dirname, '..', '..', 'dist', 'src', 'common', 'heap-growth.js');

function peakHeapMb(percent: number): number {
  if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run npm run build first (npm test does)`);
  const script = `
    const { applyHeapGrowth } = require(${JSON.stringify(BUILT)});
    applyHeapGrowth(${percent});
    const v8 = require('node:v8');
    const live = Array.from({ length: 400 }, (_, i) => Array.from({ length: 2000 }, (_, j) => ({ i, j })));
    const window = [];
    let peak = 0;
    for (let i = 0; i < 4000; i++) {
      window.push(Array.from({ length: 2000 }, (_, j) => ({ i, j, s: 'g' + j })));
      if (window.length > 200) window.shift();
      peak = Math.max(peak, v8.getHeapStatistics().total_heap_size);
    }
    if (live.length !== 400) throw new Error('live set gone');
    process.stdout.write(String(Math.round(peak / 1048576)));
  `;
  return Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
}

describe('HEAP_GROWTH_PERCENT', () => {
  it('defaults to 50, accepts 0 (V8 decides) to 300, and names the variable when it is not a number in range', () => {
    expect(parseSettings({}).heapGrowthPercent).toBe(50);
    expect(parseSettings({ HEAP_GROWTH_PERCENT: '0' }).heapGrowthPercent).toBe(0);
    expect(() => parseSettings({ HEAP_GROWTH_PERCENT: 'lots' })).toThrow(/Invalid configuration: HEAP_GROWTH_PERCENT must be an integer/);
    expect(() => parseSettings({ HEAP_GROWTH_PERCENT: '301' })).toThrow(/HEAP_GROWTH_PERCENT must be between 0 and 300/);
  });

  // Node 24's V8 (13.x) sizes this process's heap by its own heuristics whatever
  // the flag says (measured: peaks 270–370 MB capped or not, run to run), so
  // the effect is claimed (and measured) for Node 20 only (README, ADR 003).
  const honoured = Number(process.versions.node.split('.')[0]) < 22;
  (honoured ? it : it.skip)(
    'on Node 20, keeps the heap of a garbage-heavy process well below what V8 lets it reach on its own',
    () => {
      const own = peakHeapMb(0);
      const capped = peakHeapMb(30);
      expect(capped).toBeLessThan(own * 0.75);
    },
    60_000,
  );
});
