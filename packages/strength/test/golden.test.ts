import { steeringVector } from '@svdecode/kl-gradient';
import { describe, expect, it } from 'vitest';
import { closeTo, golden } from '../../../fixtures/steering-golden.js';
import { StrengthEstimator, tokenStrength } from '../src/index.js';

const f32 = (values: number[]) => Float32Array.from(values);

describe('per-token strength against the float64 reference', () => {
  it.each(golden.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const adapted = f32(c.adapted);
    const steering = steeringVector(adapted, f32(c.base), { alpha: c.alpha });
    for (const s of [steering, { delta: steering.delta, mask: steering.mask }]) {
      // with and without the logZ shortcut
      const t = tokenStrength(adapted, s, c.target);
      expect(closeTo(t.numerator, c.mu_num), `num ${t.numerator} vs ${c.mu_num}`).toBe(true);
      expect(closeTo(t.denominator, c.mu_den), `den ${t.denominator} vs ${c.mu_den}`).toBe(true);
      if (c.mu_den < 1e-12) {
        // 'identical': the reference's delta is float64 rounding noise (~1e-19, from the Jacobian form
        // where the +1 does not cancel exactly); ours is exactly 0. Its mu = num / (den + eps) is that
        // noise times 1/eps, so mu may differ by exactly the numerator difference divided by eps.
        expect(Math.abs(t.mu - c.mu)).toBeLessThanOrEqual(Math.abs(t.numerator - c.mu_num) / 1e-12 + 1e-6);
      } else {
        expect(closeTo(t.mu, c.mu), `mu ${t.mu} vs ${c.mu}`).toBe(true);
      }
    }
  });

  it('calibration tokens: per-token values, kept counts and masked targets', () => {
    for (const token of golden.calibration.tokens) {
      const adapted = f32(token.adapted);
      const s = steeringVector(adapted, f32(token.base), { alpha: 0.1 });
      const t = tokenStrength(adapted, s, token.target);
      expect(closeTo(t.mu, token.mu), `mu ${t.mu} vs ${token.mu}`).toBe(true);
      expect(closeTo(t.numerator, token.num)).toBe(true);
      expect(closeTo(t.denominator, token.den)).toBe(true);
      expect(s.kept).toBe(token.kept);
      expect(s.mask[token.target] === 1).toBe(token.target_kept);
    }
  });
});

describe('calibration aggregates against the float64 reference', () => {
  const estimator = new StrengthEstimator({ alpha: 0.1 });
  for (const t of golden.calibration.tokens) estimator.add(f32(t.adapted), f32(t.base), t.target);
  const summary = estimator.summary();
  const expected = golden.calibration.aggregate;

  it.each(['mean', 'median', 'pooled', 'optimal'] as const)('%s', (key) => {
    expect(closeTo(summary[key], expected[key]), `${key} ${summary[key]} vs ${expected[key]}`).toBe(true);
  });

  it('counts the tokens each aggregate uses', () => {
    const tokens = golden.calibration.tokens;
    expect(summary.count).toBe(tokens.length);
    expect(summary.optimalTokens).toBe(expected.optimal_tokens);
    expect(summary.targetMasked).toBe(tokens.filter((t) => !t.target_kept).length);
    expect(summary.singletons).toBe(tokens.filter((t) => t.kept === 1).length);
    expect(summary.skipped).toBe(tokens.filter((t) => t.den < 1e-12).length);
    expect(summary.optimalBounded).toBe(true);
  });

  it('optimal beats every other aggregate on the calibration loss', () => {
    const best = estimator.calibrationLoss(summary.optimal);
    for (const key of ['mean', 'median', 'trimmed', 'pooled'] as const) {
      expect(best).toBeLessThanOrEqual(estimator.calibrationLoss(summary[key]));
    }
    expect(best).toBeLessThan(estimator.calibrationLoss(0));
  });

  it('optimal agrees with a brute-force grid search', () => {
    let bestMu = 0;
    let bestLoss = Number.POSITIVE_INFINITY;
    for (let mu = -20; mu <= 20; mu += 0.001) {
      const loss = estimator.calibrationLoss(mu);
      if (loss < bestLoss) {
        bestLoss = loss;
        bestMu = mu;
      }
    }
    expect(Math.abs(bestMu - summary.optimal)).toBeLessThan(0.002);
    expect(estimator.calibrationLoss(summary.optimal)).toBeLessThanOrEqual(bestLoss + 1e-12);
  });
});
