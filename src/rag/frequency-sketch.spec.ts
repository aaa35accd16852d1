import { FrequencySketch } from './frequency-sketch';

describe('FrequencySketch (count-min, 4-bit counters, periodic halving)', () => {
  it('counts accesses per key and never under-estimates', () => {
    const sketch = new FrequencySketch(100);
    const truth = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const key = `kb-${i % 50 < 10 ? i % 10 : i % 50}`;
      sketch.increment(key);
      truth.set(key, (truth.get(key) ?? 0) + 1);
    }
    expect(sketch.resets).toBe(0);
    for (const [key, n] of truth) expect(sketch.frequency(key)).toBeGreaterThanOrEqual(Math.min(n, 15));
    expect(sketch.frequency('never-seen')).toBeLessThanOrEqual(1);
  });

  it('saturates at 15', () => {
    const sketch = new FrequencySketch(100);
    for (let i = 0; i < 40; i++) sketch.increment('hot');
    expect(sketch.frequency('hot')).toBe(15);
  });

  it('halves every counter after sampleSize increments (aging)', () => {
    const sketch = new FrequencySketch(16);
    for (let i = 0; i < 12; i++) sketch.increment('old');
    expect(sketch.frequency('old')).toBe(12);
    // Fill the rest of the sample with distinct one-off keys.
    for (let i = 0; sketch.resets === 0; i++) sketch.increment(`one-off-${i}`);
    expect(sketch.frequency('old')).toBeGreaterThanOrEqual(6);
    expect(sketch.frequency('old')).toBeLessThanOrEqual(7);
    for (let i = 0; sketch.resets < 4; i++) sketch.increment(`filler-${i}`);
    expect(sketch.frequency('old')).toBeLessThanOrEqual(1);
  });

  it('is sized from the cache capacity', () => {
    expect(new FrequencySketch(100).sampleSize).toBe(1000);
    expect(new FrequencySketch(1).sampleSize).toBe(160);
  });
});
