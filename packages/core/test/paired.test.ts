import { describe, expect, it } from 'vitest';
import { SvdecodeError } from '../src/errors.js';
import { lazyPairSessions } from '../src/lazy-paired.js';
import { pairModels, steeringSession } from '../src/pair-models.js';
import { isLazyPaired, isPaired, pairSessions } from '../src/paired.js';
import { createToyModel, describePairedCausalLMConformance, maxAbsDiff } from '../src/test/index.js';

describePairedCausalLMConformance('pairModels of two toy models', async () => {
  const base = createToyModel({ vocabSize: 40, seed: 1 });
  return { paired: pairModels(base, createToyModel({ vocabSize: 40, seed: 2 })), base };
});

describe('pairModels', () => {
  it('is the adapted model for plain use and refuses mismatched vocabularies', async () => {
    const base = createToyModel({ vocabSize: 16, seed: 1 });
    const adapted = createToyModel({ vocabSize: 16, seed: 2 });
    const pair = pairModels(base, adapted);
    expect(isPaired(pair)).toBe(true);
    expect(isPaired(base)).toBe(false);
    expect(pair.info).toBe(adapted.info);
    expect(maxAbsDiff(await pair.score([1, 2]), await adapted.score([1, 2]))).toBe(0);
    expect(() => pairModels(base, createToyModel({ vocabSize: 17 }))).toThrow(
      expect.objectContaining({ code: 'VOCAB_MISMATCH' }),
    );
  });
});

describe('pairSessions', () => {
  it('returns base and adapted logits for the same context', async () => {
    const base = createToyModel({ vocabSize: 16, seed: 1 });
    const adapted = createToyModel({ vocabSize: 16, seed: 2 });
    const pair = pairSessions(base.createSession(), adapted.createSession());
    const out = await pair.append([1, 2, 3]);
    expect(pair.length).toBe(3);
    const b = base.createSession();
    const a = adapted.createSession();
    expect(maxAbsDiff(out.base, await b.append([1, 2, 3]))).toBe(0);
    expect(maxAbsDiff(out.adapted, await a.append([1, 2, 3]))).toBe(0);
    expect(maxAbsDiff(out.base, out.adapted)).toBeGreaterThan(0);
  });

  it('forks both sessions and disposes both', async () => {
    const base = createToyModel({ vocabSize: 8, seed: 1 });
    const adapted = createToyModel({ vocabSize: 8, seed: 2 });
    const pair = pairSessions(base.createSession(), adapted.createSession());
    await pair.append([1]);
    const fork = pair.fork();
    expect(base.liveSessions + adapted.liveSessions).toBe(4);
    const f = await fork.append([2]);
    const p = await pair.append([3]);
    expect(maxAbsDiff(f.adapted, p.adapted)).toBeGreaterThan(0);
    fork.dispose();
    pair.dispose();
    pair.dispose();
    expect(base.liveSessions + adapted.liveSessions).toBe(0);
    await expect(pair.append([1])).rejects.toMatchObject({ code: 'SESSION_DISPOSED' });
  });

  it('refuses models with different vocabularies', () => {
    const base = createToyModel({ vocabSize: 8 });
    const adapted = createToyModel({ vocabSize: 9 });
    expect(() => pairSessions(base.createSession(), adapted.createSession())).toThrow(SvdecodeError);
    try {
      pairSessions(base.createSession(), adapted.createSession());
    } catch (e) {
      expect((e as SvdecodeError).code).toBe('VOCAB_MISMATCH');
    }
  });
});

describe('lazyPairSessions and steeringSession', () => {
  it('counts what the base has not seen, refuses a catch-up before any token, and is chosen by default', async () => {
    const base = createToyModel({ vocabSize: 16, seed: 1 });
    const adapted = createToyModel({ vocabSize: 16, seed: 2 });
    const lazy = lazyPairSessions(base.createSession(), adapted.createSession());
    await expect(lazy.catchUpBase()).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    await lazy.appendAdapted([1, 2, 3]);
    expect([lazy.length, lazy.baseBehind, base.positionsComputed]).toEqual([3, 3, 0]);
    const caughtUp = await lazy.catchUpBase();
    expect(maxAbsDiff(caughtUp, (await base.score([1, 2, 3])).subarray(32))).toBe(0);
    expect(await lazy.catchUpBase()).toBe(caughtUp); // nothing new to run
    await expect(lazy.appendAdapted([16])).rejects.toMatchObject({ code: 'TOKEN_OUT_OF_RANGE' });
    expect(lazy.baseBehind).toBe(0);
    lazy.dispose();
    expect(base.liveSessions + adapted.liveSessions).toBe(0);
    const pair = pairModels(base, adapted);
    expect(isLazyPaired(steeringSession(pair))).toBe(true);
    expect(isLazyPaired(steeringSession(pair, { lazyBase: false }))).toBe(false);
  });
});
