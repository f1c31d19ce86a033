import { describe, expect, it, vi } from 'vitest';
import { normals, rng } from '../../../fixtures/steering-golden.js';
import { keepTopK, kthLargest, minP, Rng, topIdsSorted, topK, topP } from '../src/index.js';

const NEG = Number.NEGATIVE_INFINITY;

/** Random logits with ties and -Infinity sprinkled in. */
function messyLogits(n: number, seed: number): Float32Array {
  const next = rng(seed);
  const z = normals(n, seed, 2);
  for (let i = 0; i < n; i++) {
    const r = next();
    if (r < 0.1) z[i] = NEG;
    else if (r < 0.25) z[i] = Math.round(z[i]!); // many exact ties
  }
  return z;
}

/** Brute force: ids ordered by (logit desc, id asc), -Infinity excluded. */
function order(z: Float32Array): number[] {
  return Array.from(z.keys())
    .filter((i) => z[i]! > NEG)
    .sort((a, b) => z[b]! - z[a]! || a - b);
}

function probs(z: Float32Array): number[] {
  const m = Math.max(...Array.from(z));
  const e = Array.from(z, (v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

const kept = (z: Float32Array) => Array.from(z.keys()).filter((i) => z[i]! > NEG);

describe('partial selection', () => {
  it('kthLargest equals the sorted order statistic', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const z = messyLogits(50 + seed * 7, seed);
      const sorted = Array.from(z).sort((a, b) => b - a);
      const scratch = new Float32Array(z.length);
      for (const k of [1, 2, 5, 17, z.length]) expect(kthLargest(z, k, scratch)).toBe(sorted[k - 1]);
    }
  });

  it('top-k keeps exactly the k best (ties to lower ids) and never sorts the vocabulary', () => {
    const sortSpy = vi.spyOn(Float32Array.prototype, 'sort');
    const arraySortSpy = vi.spyOn(Array.prototype, 'sort');
    const runs: Array<{ z: Float32Array; k: number; work: Float32Array }> = [];
    for (let seed = 1; seed <= 30; seed++) {
      const z = messyLogits(200, seed);
      for (const k of [1, 3, 10, 50, 500]) {
        const work = Float32Array.from(z);
        topK(k).apply(work);
        runs.push({ z, k, work });
      }
    }
    const sortCalls = sortSpy.mock.calls.length + arraySortSpy.mock.calls.length;
    sortSpy.mockRestore();
    arraySortSpy.mockRestore();
    expect(sortCalls).toBe(0);
    for (const { z, k, work } of runs)
      expect(kept(work)).toEqual(
        order(z)
          .slice(0, k)
          .sort((a, b) => a - b),
      );
  });

  it('top-p keeps the smallest probability-ordered prefix reaching p', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const z = messyLogits(seed % 2 ? 300 : 3000, seed);
      for (const p of [0.05, 0.3, 0.5, 0.9, 0.99, 1]) {
        const work = Float32Array.from(z);
        topP(p).apply(work);
        const pr = probs(z);
        const ids = order(z);
        let cum = 0;
        let n = ids.length;
        for (let j = 0; j < ids.length; j++) {
          cum += pr[ids[j]!]!;
          if (cum >= p) {
            n = j + 1;
            break;
          }
        }
        expect(kept(work)).toEqual(ids.slice(0, n).sort((a, b) => a - b));
      }
    }
  });

  it('min-p keeps tokens with p >= minP * max p', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const z = messyLogits(300, seed);
      for (const m of [0, 0.01, 0.1, 0.5, 1]) {
        const work = Float32Array.from(z);
        minP(m).apply(work);
        const pr = probs(z);
        const max = Math.max(...pr);
        expect(kept(work)).toEqual(Array.from(z.keys()).filter((i) => z[i]! > NEG && pr[i]! >= m * max));
      }
    }
  });

  it('topIdsSorted lists the best ids in order', () => {
    const z = messyLogits(500, 3);
    const ids = new Uint32Array(20);
    const n = topIdsSorted(z, 20, ids, new Float32Array(500));
    expect(Array.from(ids.subarray(0, n))).toEqual(order(z).slice(0, 20));
    keepTopK(z, 5, new Float32Array(500));
    expect(topIdsSorted(z, 20, ids, new Float32Array(500))).toBe(5);
  });

  it('stages reject settings outside their range', () => {
    expect(() => topK(0)).toThrow(/top-k/);
    expect(() => topP(0)).toThrow(/top-p/);
    expect(() => topP(1.5)).toThrow(/top-p/);
    expect(() => minP(-0.1)).toThrow(/min-p/);
  });
});

describe('Rng', () => {
  it('matches an independent xoshiro128** implementation (same stream on every platform)', () => {
    // reference values from a Python implementation of the same seeding and generator
    const a = new Rng(42);
    expect(Array.from({ length: 5 }, () => a.nextUint32())).toEqual([
      2837322924, 544945897, 479756282, 3500138142, 339756180,
    ]);
    const b = new Rng(0);
    expect(Array.from({ length: 3 }, () => b.nextUint32())).toEqual([3809008728, 1133695204, 53579671]);
  });

  it('clones its state and draws uniformly in [0, 1)', () => {
    const r = new Rng(7);
    r.next();
    const c = r.clone();
    expect(c.next()).toBe(r.next());
    let sum = 0;
    for (let i = 0; i < 20000; i++) {
      const u = r.next();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
    }
    expect(Math.abs(sum / 20000 - 0.5)).toBeLessThan(0.01);
  });
});
