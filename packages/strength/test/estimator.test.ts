import { steeringVector } from '@svdecode/kl-gradient';
import { describe, expect, it } from 'vitest';
import { normals, rng } from '../../../fixtures/steering-golden.js';
import { StrengthEstimator, tokenStrength } from '../src/index.js';

interface Token {
  adapted: Float32Array;
  base: Float32Array;
  target: number;
}

function randomTokens(count: number, vocab: number, seed: number): Token[] {
  const next = rng(seed);
  return Array.from({ length: count }, (_, k) => {
    const adapted = normals(vocab, seed * 7919 + 2 * k, 2);
    const base = Float32Array.from(adapted, (z, i) => z + 0.8 * normals(vocab, seed * 7919 + 2 * k + 1)[i]!);
    return { adapted, base, target: Math.floor(next() * vocab) };
  });
}

function batch(tokens: Token[], alpha = 0.1) {
  const mus: number[] = [];
  let num = 0;
  let den = 0;
  for (const t of tokens) {
    const s = steeringVector(t.adapted, t.base, { alpha });
    const r = tokenStrength(t.adapted, s, t.target);
    if (r.denominator < 1e-12) continue;
    mus.push(r.mu);
    num += r.numerator;
    den += r.denominator;
  }
  const sorted = [...mus].sort((a, b) => a - b);
  const n = sorted.length;
  const median = n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  return { mean: mus.reduce((a, b) => a + b, 0) / n, median, pooled: num / (den + n * 1e-12), sorted };
}

describe('StrengthEstimator', () => {
  const tokens = randomTokens(400, 12, 3);

  it('streams to the same aggregates as a batch computation, in any order', () => {
    const want = batch(tokens);
    const forward = new StrengthEstimator();
    for (const t of tokens) forward.add(t.adapted, t.base, t.target);
    const backward = new StrengthEstimator();
    for (const t of [...tokens].reverse()) backward.add(t.adapted, t.base, t.target);
    for (const s of [forward.summary(), backward.summary()]) {
      expect(s.mean).toBeCloseTo(want.mean, 9);
      expect(s.median).toBe(want.median);
      expect(s.pooled).toBeCloseTo(want.pooled, 12);
      const pos = 0.25 * (want.sorted.length - 1);
      const lo = Math.floor(pos);
      expect(s.quantiles['0.25']).toBeCloseTo(
        want.sorted[lo]! + (pos - lo) * (want.sorted[lo + 1]! - want.sorted[lo]!),
        12,
      );
      expect(s.histogram.counts.reduce((a, b) => a + b, 0)).toBe(s.count - s.skipped);
    }
    expect(forward.summary().optimal).toBeCloseTo(backward.summary().optimal, 6);
  });

  it('per-token mu* minimises its quadratic (Gauss-Newton) model', () => {
    for (const t of tokens.slice(0, 50)) {
      const s = steeringVector(t.adapted, t.base);
      const { mu } = tokenStrength(t.adapted, s, t.target, { eps: 0 });
      // Q(mu) = mu <p - e_y, delta_hat> + mu^2 / 2 ||delta_hat||^2, built independently here
      const m = Math.max(...t.adapted);
      const z = Array.from(t.adapted, (a) => Math.exp(a - m));
      const sum = z.reduce((a, b) => a + b, 0);
      let g = 0;
      let h = 0;
      for (let i = 0; i < t.adapted.length; i++) {
        if (!s.mask[i]) continue;
        g += (z[i]! / sum - (i === t.target ? 1 : 0)) * s.delta[i]!;
        h += s.delta[i]! ** 2;
      }
      if (h === 0) continue;
      const q = (x: number) => x * g + 0.5 * x * x * h;
      for (const step of [1e-3, 0.1, 1, 10]) {
        expect(q(mu)).toBeLessThanOrEqual(q(mu + step) + 1e-15);
        expect(q(mu)).toBeLessThanOrEqual(q(mu - step) + 1e-15);
      }
    }
  });

  it('optimal beats the other aggregates and matches a grid search on random data', () => {
    const e = new StrengthEstimator();
    for (const t of tokens) e.add(t.adapted, t.base, t.target);
    const s = e.summary();
    for (const k of ['mean', 'median', 'trimmed', 'pooled'] as const) {
      expect(e.calibrationLoss(s.optimal)).toBeLessThanOrEqual(e.calibrationLoss(s[k]));
    }
    const lo = s.optimal - 1;
    let best = lo;
    for (let mu = lo; mu <= s.optimal + 1; mu += 1e-4)
      if (e.calibrationLoss(mu) < e.calibrationLoss(best)) best = mu;
    expect(Math.abs(best - s.optimal)).toBeLessThan(2e-4);
  });

  it('keeps O(1) memory for mean and pooled when the rest is switched off', () => {
    const e = new StrengthEstimator({ maxExactTokens: 0, optimal: false });
    const full = new StrengthEstimator();
    for (let k = 0; k < 5; k++) {
      for (const t of tokens) {
        e.add(t.adapted, t.base, t.target);
        full.add(t.adapted, t.base, t.target);
      }
    }
    expect(e.retainedBytes).toBe(0);
    expect(full.retainedBytes).toBeGreaterThan(0);
    const s = e.summary();
    expect(s.mean).toBeCloseTo(full.summary().mean, 12);
    expect(s.pooled).toBeCloseTo(full.summary().pooled, 12);
    expect(s.median).toBeNaN();
    expect(s.optimal).toBeNaN();
    expect(() => e.calibrationLoss(0)).toThrow(/optimal/);
  });

  it('median and quantiles are exact for a million tokens', () => {
    const n = 1_000_000;
    const e = new StrengthEstimator({ optimal: false });
    const vocab = 3;
    const adapted = new Float32Array(vocab);
    const base = new Float32Array(vocab);
    const next = rng(42);
    const mus = new Float64Array(n);
    let used = 0;
    for (let k = 0; k < n; k++) {
      for (let i = 0; i < vocab; i++) {
        adapted[i] = 3 * next();
        base[i] = adapted[i]! + next() - 0.5;
      }
      const target = k % vocab;
      e.add(adapted, base, target);
      const s = steeringVector(adapted, base);
      const r = tokenStrength(adapted, s, target);
      if (r.denominator >= 1e-12) mus[used++] = r.mu;
    }
    const sorted = mus.subarray(0, used).sort();
    const summary = e.summary();
    expect(summary.exact).toBe(true);
    expect(summary.count).toBe(n);
    const mid = used >> 1;
    expect(summary.median).toBe(used % 2 ? sorted[mid] : (sorted[mid - 1]! + sorted[mid]!) / 2);
    expect(summary.quantiles['0.9']).toBe(
      sorted[Math.floor(0.9 * (used - 1))]! +
        (0.9 * (used - 1) - Math.floor(0.9 * (used - 1))) *
          (sorted[Math.floor(0.9 * (used - 1)) + 1]! - sorted[Math.floor(0.9 * (used - 1))]!),
    );
  }, 120_000);

  it('beyond maxExactTokens keeps a bounded uniform sample and says so', () => {
    const e = new StrengthEstimator({ maxExactTokens: 500, optimal: false });
    const many = randomTokens(3000, 6, 9);
    for (const t of many) e.add(t.adapted, t.base, t.target);
    const s = e.summary();
    expect(s.exact).toBe(false);
    expect(e.retainedBytes).toBeLessThanOrEqual(1024 * 8);
    const want = batch(many);
    // a 500-sample median lands near the true one (within the 40-60 % quantile band)
    const lo = want.sorted[Math.floor(0.4 * want.sorted.length)]!;
    const hi = want.sorted[Math.floor(0.6 * want.sorted.length)]!;
    expect(s.median).toBeGreaterThanOrEqual(lo);
    expect(s.median).toBeLessThanOrEqual(hi);
    expect(s.mean).toBeCloseTo(want.mean, 9); // mean stays exact
  });

  it('counts singletons and masked targets, and leaves them out of optimal', () => {
    const e = new StrengthEstimator({ alpha: 0.5 });
    // a peaked token: the mask keeps one token
    e.add(Float32Array.from([10, 0, 0, 0]), Float32Array.from([9, 1, 0, 0]), 0);
    // the target is masked out
    e.add(Float32Array.from([3, 3, -5, -5]), Float32Array.from([2, 3, 0, 0]), 3);
    // a regular token
    e.add(Float32Array.from([1, 1.2, -5, -5]), Float32Array.from([2, 0, 0, 0]), 1);
    const s = e.summary();
    expect(s).toMatchObject({ count: 3, singletons: 1, targetMasked: 1, optimalTokens: 1 });
  });

  it('reports an unbounded optimum as +-Infinity rather than a made-up number', () => {
    const e = new StrengthEstimator();
    // steering always raises the target relative to the other kept token: loss falls forever
    e.add(Float32Array.from([1, 1.1, -9]), Float32Array.from([1.5, 1, -9]), 1);
    const s = e.summary();
    expect(s.optimalBounded).toBe(false);
    expect(Math.abs(s.optimal)).toBe(Number.POSITIVE_INFINITY);
    expect(e.calibrationLoss(s.optimal > 0 ? 1e3 : -1e3)).toBeLessThan(e.calibrationLoss(0));
  });

  it('gives NaN aggregates before any token and rejects bad input with codes', () => {
    const e = new StrengthEstimator();
    const s = e.summary();
    expect(s.count).toBe(0);
    expect(s.mean).toBeNaN();
    expect(s.optimal).toBeNaN();
    const a = Float32Array.from([1, 2, 3]);
    expect(() => e.add(a, a, 3)).toThrowError(expect.objectContaining({ code: 'TOKEN_OUT_OF_RANGE' }));
    expect(() => e.add(a, Float32Array.from([1, 2]), 0)).toThrowError(
      expect.objectContaining({ code: 'VOCAB_MISMATCH' }),
    );
    expect(() => e.add(a, Float32Array.from([1, Number.NaN, 3]), 0)).toThrowError(
      expect.objectContaining({ code: 'NON_FINITE_LOGITS' }),
    );
    expect(() => new StrengthEstimator({ alpha: 2 })).toThrowError(
      expect.objectContaining({ code: 'BAD_ARGUMENT' }),
    );
    expect(() => tokenStrength(a, steeringVector(a, a), -1)).toThrowError(
      expect.objectContaining({ code: 'TOKEN_OUT_OF_RANGE' }),
    );
    expect(e.summary().count).toBe(0);
  });
});
