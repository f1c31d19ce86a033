import { describe, expect, it } from 'vitest';
import { LazyBaseCosts } from '../src/lazy-costs.js';

/** Costs as measured: eager E, eager after a catch-up E', first adapted-only A1, adapted A, catch-up C. */
function costs(ms: { E: number; E1: number; A1: number; A: number; C: number }, continueShare: number) {
  const c = new LazyBaseCosts();
  for (let i = 0; i < LazyBaseCosts.WARMUP; i++) c.observe('firstAdapted', ms.A1);
  c.observe('eager', ms.E);
  c.observe('eagerAfterCatchUp', ms.E1);
  c.observe('adapted', ms.A);
  c.observe('catchUp', ms.C);
  c.continueShare = continueShare;
  return c;
}

describe('LazyBaseCosts', () => {
  it('tries lazy runs until it has measured them', () => {
    const c = new LazyBaseCosts();
    expect(c.lazyPays()).toBe(true);
    c.observe('eager', 1);
    c.observe('firstAdapted', 5);
    expect(c.lazyPays()).toBe(true); // one lazy run is not enough to judge
  });

  it('starts a lazy run when the expected saving beats the catch-up overhead', () => {
    // a paired step costing two plain ones: overhead 1 + 1 + 0 - 2 = 0 < any saving
    expect(costs({ E: 2, E1: 2, A1: 1, A: 1, C: 1 }, 0.3).lazyPays()).toBe(true);
    // a paired step costing 1.1 plain ones: overhead 1 + 1 + 0.2 - 1.1 = 1.1 against 0.1 per step
    // saved: pays only when runs last about 11 steps or more (q / (1 - q) > 11, q > 0.917)
    expect(costs({ E: 1.1, E1: 1.3, A1: 1, A: 1, C: 1 }, 0.95).lazyPays()).toBe(true);
    expect(costs({ E: 1.1, E1: 1.3, A1: 1, A: 1, C: 1 }, 0.9).lazyPays()).toBe(false);
  });

  it('still tries one lazy run in EXPLORE_EVERY refusals, so that the estimates follow the workload', () => {
    const c = costs({ E: 1, E1: 1, A1: 3, A: 3, C: 3 }, 0.5);
    const answers = Array.from({ length: 2 * LazyBaseCosts.EXPLORE_EVERY }, () => c.lazyPays());
    expect(answers.filter(Boolean)).toHaveLength(2);
  });

  it('keeps running averages per kind and of the continuation share', () => {
    const c = new LazyBaseCosts();
    c.observe('catchUp', 2);
    c.observe('catchUp', 12);
    expect(c.ms.catchUp).toBeCloseTo(2 + LazyBaseCosts.RATE * 10, 12);
    expect(Number.isNaN(c.ms.eager)).toBe(true);
    c.observeContinuation(true);
    expect(c.continueShare).toBeCloseTo(0.5 + LazyBaseCosts.RATE * 0.5, 12);
  });
});
