import { describe, expect, it } from 'vitest';
import { logSumExp } from '../src/index.js';

describe('logSumExp', () => {
  it('is log(sum(exp)) without overflow, skips banned tokens, and is -Infinity when all are banned', () => {
    const x = Float32Array.of(1, 2, 3);
    expect(logSumExp(x)).toBeCloseTo(Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)), 6);
    expect(logSumExp(Float32Array.of(1000, 1000))).toBeCloseTo(1000 + Math.log(2), 4);
    const NEG = Number.NEGATIVE_INFINITY;
    expect(logSumExp(Float32Array.of(NEG, 0, NEG))).toBe(0);
    expect(logSumExp(Float32Array.of(NEG, NEG))).toBe(NEG);
  });
});
