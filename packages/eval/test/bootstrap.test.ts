import { describe, expect, it } from 'vitest';
import { pairedBootstrap } from '../src/index.js';

describe('pairedBootstrap', () => {
  it('gives the mean difference and a percentile interval that covers it, deterministically', () => {
    const d: number[] = Array.from({ length: 200 }, (_, i) => (i % 10 === 0 ? 1 : i % 17 === 0 ? -1 : 0));
    const r = pairedBootstrap(d, { resamples: 4000 });
    expect(r.mean).toBeCloseTo(d.reduce((a, b) => a + b, 0) / 200, 12);
    expect(r.interval[0]).toBeLessThan(r.mean);
    expect(r.interval[1]).toBeGreaterThan(r.mean);
    expect(pairedBootstrap(d, { resamples: 4000 })).toEqual(r);
    // the width matches the normal approximation: 2 * 1.96 * sd / sqrt(n), within 15 %
    const m = r.mean;
    const sd = Math.sqrt(d.reduce((a, x) => a + (x - m) ** 2, 0) / (d.length - 1));
    expect((r.interval[1] - r.interval[0]) / ((2 * 1.96 * sd) / Math.sqrt(200))).toBeGreaterThan(0.85);
    expect((r.interval[1] - r.interval[0]) / ((2 * 1.96 * sd) / Math.sqrt(200))).toBeLessThan(1.15);
  });

  it('collapses to a point when every item agrees, and is NaN without items', () => {
    expect(pairedBootstrap([0.5, 0.5, 0.5]).interval).toEqual([0.5, 0.5]);
    expect(pairedBootstrap([]).mean).toBeNaN();
  });
});
