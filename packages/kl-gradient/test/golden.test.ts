import { describe, expect, it } from 'vitest';
import { closeTo, golden } from '../../../fixtures/steering-golden.js';
import { steeringVector, steerLogits } from '../src/index.js';

describe('steering vector against the float64 reference', () => {
  it.each(golden.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const adapted = Float32Array.from(c.adapted);
    const base = Float32Array.from(c.base);
    const s = steeringVector(adapted, base, { alpha: c.alpha });
    expect(closeTo(s.kl, c.kl), `kl ${s.kl} vs ${c.kl}`).toBe(true);
    expect(Array.from(s.mask)).toEqual(c.mask);
    expect(s.kept).toBe(c.mask.reduce((a, b) => a + b, 0));
    // delta is float32; near-zero entries compare absolutely, scaled to the vector's size
    const scale = Math.max(...c.delta.map(Math.abs));
    for (let i = 0; i < c.delta.length; i++) {
      const ok = closeTo(s.delta[i]!, c.delta[i]!, 1e-4, Math.max(1e-6 * scale, 1e-12));
      if (!ok) expect.fail(`delta[${i}] = ${s.delta[i]} vs ${c.delta[i]}`);
    }
    // steered logits follow Eq. 14 with the case's lambda
    const mu = 0.7;
    const lambda = c.lam ?? Number.NEGATIVE_INFINITY;
    const steered = steerLogits(adapted, s, mu, { lambda });
    for (let i = 0; i < adapted.length; i++) {
      const want = c.mask[i]
        ? adapted[i]! + mu * c.delta[i]!
        : c.lam === null
          ? Number.NEGATIVE_INFINITY
          : adapted[i]! + mu * c.lam;
      if (want === Number.NEGATIVE_INFINITY) expect(steered[i]).toBe(Number.NEGATIVE_INFINITY);
      else expect(Math.abs(steered[i]! - want)).toBeLessThan(1e-4 * (1 + Math.abs(want)));
    }
  });
});
