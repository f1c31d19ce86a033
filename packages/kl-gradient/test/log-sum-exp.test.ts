import { describe, expect, it } from 'vitest';
import { normals } from '../../../fixtures/steering-golden.js';
import { logSumExp } from '../src/index.js';

const NEG = Number.NEGATIVE_INFINITY;

describe('logSumExp', () => {
  it('is log(sum(exp)) without overflow, skips banned tokens, and is -Infinity when all are banned', () => {
    for (const kernel of ['auto', 'js'] as const) {
      const x = Float32Array.of(1, 2, 3);
      expect(logSumExp(x, { kernel })).toBeCloseTo(Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)), 6);
      expect(logSumExp(Float32Array.of(1000, 1000), { kernel })).toBeCloseTo(1000 + Math.log(2), 4);
      expect(logSumExp(Float32Array.of(NEG, 0, NEG), { kernel })).toBe(0);
      expect(logSumExp(Float32Array.of(NEG, NEG), { kernel })).toBe(NEG);
    }
  });

  it('gives the same value from the WebAssembly kernel and the JavaScript pass (within 1e-6), V = 151,936 included', () => {
    for (const [k, v] of [64, 65, 1000, 32_000, 151_936].entries()) {
      for (const scale of [0.1, 3, 30]) {
        const x = normals(v, 40 + k, scale);
        for (let i = 0; i < v; i += 7) x[i] = NEG; // banned tokens (top-k, masks)
        const js = logSumExp(x, { kernel: 'js' });
        expect(Math.abs(logSumExp(x) - js), `V ${v} scale ${scale}`).toBeLessThan(
          1e-6 * Math.max(1, Math.abs(js)),
        );
      }
    }
  });

  it('is NaN for NaN or +Infinity logits and -Infinity when all are banned, on both kernels', () => {
    for (const kernel of ['auto', 'js'] as const) {
      const x = normals(100, 3, 1);
      x[50] = Number.NaN;
      expect(logSumExp(x, { kernel })).toBeNaN();
      x[50] = Number.POSITIVE_INFINITY;
      expect(logSumExp(x, { kernel })).toBeNaN();
      expect(logSumExp(new Float32Array(100).fill(NEG), { kernel })).toBe(NEG);
    }
  });
});
