/**
 * Approximate access counts for the InstanceCache admission policy
 * (W-TinyLFU, Einziger, Friedman & Manes; the sketch Caffeine uses): a
 * count-min sketch of 4 rows of 4-bit counters, two to a byte. Counters
 * saturate at 15 because admission only compares "hotter than", and every
 * `sampleSize` increments all counters are halved so that old popularity
 * fades and the cache follows a shifting hot set.
 *
 * Sized for a cache of `capacity` entries: 16 × capacity counters in all
 * (8 × capacity bytes) and a sample of 10 × capacity increments between
 * halvings, with a floor so that tiny caches do not age on every few gets.
 *
 * Keys are hashed with a fixed seed, so runs are reproducible; the cache's
 * keys are server-generated ids (tenant:kb), not chosen by callers, so there
 * is no hash-flooding input to defend against with a random seed.
 */
const DEPTH = 4;
const MAX_COUNT = 15;
const MIN_SIZED_FOR = 16;
const ROW_SEEDS = [0x9e3779b9, 0x7f4a7c15, 0x85ebca6b, 0xc2b2ae35];

export class FrequencySketch {
  private readonly counters: Uint8Array;
  private readonly rowWidth: number;
  private readonly mask: number;
  readonly sampleSize: number;
  private additions = 0;
  private halvings = 0;

  constructor(capacity: number) {
    const n = Math.max(MIN_SIZED_FOR, capacity);
    this.rowWidth = nextPowerOfTwo(4 * n);
    this.mask = this.rowWidth - 1;
    this.counters = new Uint8Array((DEPTH * this.rowWidth) / 2);
    this.sampleSize = 10 * n;
  }

  /** How many times the sketch has aged (halved every counter). */
  get resets(): number {
    return this.halvings;
  }

  /** Records one access to `key`. */
  increment(key: string): void {
    const h = hashString(key);
    let added = false;
    for (let row = 0; row < DEPTH; row++) {
      const slot = row * this.rowWidth + (mix(h ^ ROW_SEEDS[row]) & this.mask);
      const byte = slot >>> 1;
      const shift = (slot & 1) << 2;
      const count = (this.counters[byte] >>> shift) & 0xf;
      if (count < MAX_COUNT) {
        this.counters[byte] += 1 << shift;
        added = true;
      }
    }
    if (added && ++this.additions >= this.sampleSize) this.age();
  }

  /** The estimated recent access count of `key` (0..15; over-estimates on collisions, never under). */
  frequency(key: string): number {
    const h = hashString(key);
    let min = MAX_COUNT;
    for (let row = 0; row < DEPTH; row++) {
      const slot = row * this.rowWidth + (mix(h ^ ROW_SEEDS[row]) & this.mask);
      const count = (this.counters[slot >>> 1] >>> ((slot & 1) << 2)) & 0xf;
      if (count < min) min = count;
    }
    return min;
  }

  /** Halves every counter (both nibbles of a byte at once). */
  private age(): void {
    for (let i = 0; i < this.counters.length; i++) this.counters[i] = (this.counters[i] >>> 1) & 0x77;
    this.additions >>>= 1;
    this.halvings++;
  }
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** FNV-1a over UTF-16 code units. */
function hashString(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** murmur3's finalizer: spreads the bits so each row gets an independent-looking index. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
