import { mulberry32 } from '@svdecode/core';
import { describe, expect, it } from 'vitest';
import { oneConfidentToken, steeringVector } from '../src/index.js';

describe('oneConfidentToken', () => {
  it('agrees with the mask steeringVector computes (kept === 1), at the float32 threshold too', () => {
    const next = mulberry32(7);
    let ones = 0;
    for (let trial = 0; trial < 2000; trial++) {
      const V = 1 + Math.floor(next() * 40);
      const adapted = Float32Array.from({ length: V }, () => (next() - 0.5) * 12);
      const alpha = [0.05, 0.1, 0.5, 1][trial % 4]!;
      if (trial % 5 === 0 && V > 1) {
        // a runner-up exactly at the threshold: p = alpha * max p up to float32 rounding
        const top = adapted.indexOf(Math.max(...adapted));
        adapted[(top + 1) % V] = adapted[top]! + Math.log(alpha);
      }
      const base = Float32Array.from({ length: V }, () => (next() - 0.5) * 12);
      const kept = steeringVector(adapted, base, { alpha }).kept;
      expect(oneConfidentToken(adapted, alpha), `trial ${trial}`).toBe(kept === 1);
      if (kept === 1) ones++;
    }
    expect(ones).toBeGreaterThan(100); // both answers are exercised
  });

  it('says no for logits a full step must report (NaN, +Infinity, all -Infinity)', () => {
    expect(oneConfidentToken(Float32Array.of(Number.NaN, 1), 0.1)).toBe(false);
    expect(oneConfidentToken(Float32Array.of(1, Number.NaN), 0.1)).toBe(false);
    expect(oneConfidentToken(Float32Array.of(Number.POSITIVE_INFINITY, 0), 0.1)).toBe(false);
    expect(oneConfidentToken(Float32Array.of(Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY), 0.1)).toBe(
      false,
    );
    expect(oneConfidentToken(Float32Array.of(10, 0), 0.1)).toBe(true);
  });
});
