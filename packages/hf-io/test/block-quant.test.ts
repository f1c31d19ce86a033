import { describe, expect, it } from 'vitest';
import { dequantizeRows, QUANT_BLOCK, quantizeRows } from '../src/index.js';

describe('quantizeRows (llama.cpp Q4_0 / Q8_0 rules)', () => {
  it('4 bits: the largest-magnitude value maps to -8 exactly; levels in [-8, 7]; error at most one step (+8 clips to 7)', () => {
    const row = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i * 1.7) * (i + 1));
    const q = quantizeRows(row, 2, 32, 4);
    expect(q.scales).toHaveLength(2);
    for (let b = 0; b < 2; b++) {
      const block = row.subarray(b * 32, b * 32 + 32);
      const top = block.reduce((m, x) => (Math.abs(x) > Math.abs(m) ? x : m), 0);
      expect(q.scales[b]).toBeCloseTo(top / -8, 6);
      expect(q.levels[b * 32 + block.indexOf(top)]).toBe(-8);
    }
    expect(Math.min(...q.levels)).toBeGreaterThanOrEqual(-8);
    expect(Math.max(...q.levels)).toBeLessThanOrEqual(7);
    const back = dequantizeRows(q);
    for (let i = 0; i < row.length; i++)
      expect(Math.abs(back[i]! - row[i]!)).toBeLessThanOrEqual(
        Math.abs(q.scales[Math.floor(i / 32)]!) + 1e-6,
      );
  });

  it('8 bits: scale max|x| / 127, levels round half away from zero, error at most half a step', () => {
    const row = Float32Array.from({ length: 32 }, (_, i) => (i - 16) / 4);
    row[0] = -127 / 32; // max |x| with levels at exact halves elsewhere
    const q = quantizeRows(row, 1, 32, 8);
    expect(q.scales[0]).toBeCloseTo(127 / 32 / 127, 9);
    expect(q.levels[0]).toBe(-127);
    const back = dequantizeRows(q);
    for (let i = 0; i < 32; i++)
      expect(Math.abs(back[i]! - row[i]!)).toBeLessThanOrEqual(q.scales[0]! / 2 + 1e-7);
    // -2.5 steps rounds to -3 (C's roundf), not -2
    const half = new Float32Array(32);
    half[0] = 127;
    half[1] = -2.5;
    expect(quantizeRows(half, 1, 32, 8).levels[1]).toBe(-3);
  });

  it('an all-zero block has scale 0 and levels 0; rows that do not divide by 32 are QUANT_SHAPE', () => {
    const q = quantizeRows(new Float32Array(32), 1, 32, 4);
    expect(q.scales[0] === 0).toBe(true); // -0, as llama.cpp's 0 / -8
    expect(q.levels.every((l) => l === 0)).toBe(true);
    expect(() => quantizeRows(new Float32Array(40), 1, 40, 8, 'w')).toThrow(
      expect.objectContaining({
        code: 'QUANT_SHAPE',
        details: expect.objectContaining({ what: 'w', cols: 40 }),
      }),
    );
    expect(QUANT_BLOCK).toBe(32);
  });
});

describe('quantizeRowsAsymmetric', () => {
  it('uses the whole grid with a zero point per block; 0 stays exact; error at most half a step', async () => {
    const { dequantizeRowsAsymmetric, quantizeRowsAsymmetric } = await import('../src/index.js');
    const row = Float32Array.from({ length: 64 }, (_, i) => 0.5 + Math.sin(i) * 0.4 + (i === 3 ? -0.2 : 0));
    row[7] = 0;
    const q = quantizeRowsAsymmetric(row, 2, 32, 4);
    expect(Math.max(...q.levels)).toBe(15);
    const back = dequantizeRowsAsymmetric(q);
    expect(back[7]).toBe(0);
    for (let i = 0; i < row.length; i++)
      expect(Math.abs(back[i]! - row[i]!)).toBeLessThanOrEqual(q.scales[Math.floor(i / 32)]! / 2 + 1e-6);
  });
});
