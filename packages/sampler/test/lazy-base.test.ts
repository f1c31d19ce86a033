// Lazy base decoding: the base model runs only on steps whose steered distribution depends on it;
// the tokens, log-probabilities and beam scores are those of eager decoding.
import { LazyBaseCosts, lazyPairSessions, pairSessions } from '@svdecode/core';
import { createToyModel, FunctionModel } from '@svdecode/core/test';
import { describe, expect, it } from 'vitest';
import { type GenerateOptions, generate, generateAll, type StepEvent } from '../src/index.js';
import { V } from './helpers.js';

/** Base and adapted toy models with peaked distributions: many steps have a one-token confident set. */
function toyPair(seed: number) {
  const sharpen = (m: ReturnType<typeof createToyModel>, by: number) =>
    new FunctionModel({ vocabSize: V, logits: (ctx) => m.logitsFor(ctx).map((v) => v * by) });
  const base = sharpen(createToyModel({ vocabSize: V, seed, scale: 3 }), 12);
  const adapted = sharpen(createToyModel({ vocabSize: V, seed: seed + 1000, scale: 3 }), 12);
  return { base, adapted, live: () => base.liveSessions + adapted.liveSessions };
}

const PROMPTS = [
  [3, 1, 4],
  [1, 5, 9, 2],
  [6, 5],
  [3, 5, 8, 9, 7],
  [9, 3],
  [2, 7, 1, 8],
];

async function both(seed: number, prompt: number[], options: GenerateOptions) {
  const m = toyPair(seed);
  const eager = await generateAll(
    pairSessions(m.base.createSession(), m.adapted.createSession()),
    prompt,
    options,
  );
  const before = m.base.positionsComputed;
  const lazy = await generateAll(
    lazyPairSessions(m.base.createSession(), m.adapted.createSession()),
    prompt,
    options,
  );
  expect(m.live()).toBe(0);
  return { eager, lazy, baseLazyPositions: m.base.positionsComputed - before };
}

describe('lazy base decoding', () => {
  it.each([
    ['greedy', { strategy: 'greedy' }],
    ['sample', { strategy: 'sample', seed: 7, temperature: 0.8 }],
    ['beam', { strategy: 'beam', numBeams: 3 }],
  ] as const)(
    '%s: the same tokens and scores as eager decoding, base skipped on some steps',
    async (_, strategy) => {
      let skippedSteps = 0;
      let ranSteps = 0;
      for (const [k, prompt] of PROMPTS.entries()) {
        for (const mu of [-3, 0.7, 0]) {
          const options: GenerateOptions = {
            ...strategy,
            maxNewTokens: 24,
            steer: { mu, alpha: 0.3 },
            lazyBase: 'always',
          };
          const { eager, lazy } = await both(k + 1, prompt, options);
          expect(lazy.tokens).toEqual(eager.tokens);
          expect(lazy.logprob).toBeCloseTo(eager.logprob, 5);
          expect(eager.baseSkipped).toBe(0);
          if (mu === 0)
            expect(lazy.baseSkipped).toBe(1); // mu = 0 never needs the base model
          else {
            skippedSteps += lazy.baseSkipped!;
            ranSteps += 1 - lazy.baseSkipped!;
          }
        }
      }
      // both paths were taken across the runs: the comparison is not vacuous
      expect(skippedSteps).toBeGreaterThan(0.1);
      expect(ranSteps).toBeGreaterThan(0.1);
    },
  );

  it('step events say whether the base ran; a skipped step carries no KL', async () => {
    const m = toyPair(3);
    const events: StepEvent[] = [];
    const stream = generate(lazyPairSessions(m.base.createSession(), m.adapted.createSession()), [3, 1, 4], {
      maxNewTokens: 24,
      steer: { mu: -3, alpha: 0.3 },
    });
    for await (const e of stream) events.push(e);
    const result = await stream.result;
    expect(events.every((e) => typeof e.baseRan === 'boolean')).toBe(true);
    for (const e of events) expect(e.kl === undefined).toBe(!e.baseRan);
    expect(result.baseSkipped).toBeCloseTo(events.filter((e) => !e.baseRan).length / events.length, 10);
  });

  it('lazyBase: false runs the base every step; unsteered decoding reports no share', async () => {
    const m = toyPair(4);
    const eagerOnLazy = await generateAll(
      lazyPairSessions(m.base.createSession(), m.adapted.createSession()),
      [3, 1],
      {
        maxNewTokens: 12,
        steer: { mu: 0 },
        lazyBase: false,
      },
    );
    expect(eagerOnLazy.baseSkipped).toBe(0);
    const plain = await generateAll(m.adapted.createSession(), [3, 1], { maxNewTokens: 4 });
    expect(plain.baseSkipped).toBeNull();
  });

  it('by default starts lazy runs only where the measured costs say they pay; same tokens either way', async () => {
    const m = toyPair(5);
    // costs of a backend whose paired step is nearly free next to a catch-up: lazy runs never pay
    const dear = new LazyBaseCosts();
    for (let i = 0; i < LazyBaseCosts.WARMUP; i++) dear.observe('firstAdapted', 1e6);
    for (const kind of ['eager', 'eagerAfterCatchUp', 'adapted', 'catchUp'] as const) dear.observe(kind, 1e6);
    dear.observe('eager', 1);
    dear.observe('eagerAfterCatchUp', 1);
    const options: GenerateOptions = { maxNewTokens: 24, steer: { mu: -3, alpha: 0.3 } };
    const run = (lazyBase: GenerateOptions['lazyBase']) =>
      generateAll(lazyPairSessions(m.base.createSession(), m.adapted.createSession(), dear), [3, 1, 4], {
        ...options,
        lazyBase,
      });
    const cautious = await run(true);
    const always = await run('always');
    const eager = await run(false);
    expect(cautious.tokens).toEqual(eager.tokens);
    expect(always.tokens).toEqual(eager.tokens);
    expect(always.baseSkipped).toBeGreaterThan(0.2);
    // at most the exploration runs (one in EXPLORE_EVERY refusals) skip the base
    expect(cautious.baseSkipped!).toBeLessThan(always.baseSkipped! / 2);
    expect(m.live()).toBe(0);
  });

  it('rejects a lazyBase that is not true, false or always', async () => {
    const m = toyPair(6);
    const session = m.adapted.createSession();
    expect(() => generateAll(session, [1], { lazyBase: 'sometimes' as unknown as boolean })).toThrow(
      expect.objectContaining({ code: 'BAD_ARGUMENT' }),
    );
    session.dispose();
  });
});
