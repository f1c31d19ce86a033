import { describe, expect, it } from 'vitest';
import { createToyModel, describeCausalLMConformance, maxAbsDiff } from '../src/test/index.js';

describeCausalLMConformance('toy function model', async () => createToyModel({ vocabSize: 50, seed: 3 }));

describe('toy model', () => {
  it('is deterministic per seed and differs across seeds', async () => {
    const a = await createToyModel({ seed: 5 }).score([1, 2, 3]);
    const b = await createToyModel({ seed: 5 }).score([1, 2, 3]);
    const c = await createToyModel({ seed: 6 }).score([1, 2, 3]);
    expect(maxAbsDiff(a, b)).toBe(0);
    expect(maxAbsDiff(a, c)).toBeGreaterThan(0.1);
  });

  it('maxAbsDiff treats equal infinities as equal and reports length mismatch', () => {
    expect(maxAbsDiff([Number.NEGATIVE_INFINITY, 1], [Number.NEGATIVE_INFINITY, 1.5])).toBe(0.5);
    expect(maxAbsDiff([1], [1, 2])).toBe(Number.POSITIVE_INFINITY);
  });
});
