import { toSql } from 'pgvector';
import { toVector } from './graph-store.repository';

/** What toVector was: the package's toSql over the components, non-finite ones as 0. */
const viaPackage = (v: ArrayLike<number>) => toSql(Array.from(v, (x) => (Number.isFinite(x) ? x : 0)));

describe('toVector', () => {
  it("writes exactly the pgvector package's text form (toSql), non-finite components as 0", () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const specials = [0, -0, 1, -1, 1e-7, 1e21, 0.1 + 0.2, Number.MIN_VALUE, Number.MAX_VALUE];
    for (let i = 0; i < 500; i++) {
      const v = Array.from({ length: 1 + Math.floor(rnd() * 64) }, () =>
        rnd() < 0.6 ? 0 : rnd() < 0.2 ? specials[Math.floor(rnd() * specials.length)] : (rnd() - 0.5) * 10 ** Math.floor(rnd() * 8 - 4),
      );
      expect(toVector(v)).toBe(viaPackage(v));
      expect(toVector(Float32Array.from(v))).toBe(viaPackage(Float32Array.from(v)));
    }
    expect(toVector([NaN, Infinity, -Infinity, 2])).toBe('[0,0,0,2]');
    expect(toVector([])).toBe('[]');
  });
});
