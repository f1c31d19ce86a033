import { describe, expect, it } from 'vitest';
import { SvdecodeError } from '../src/errors.js';
import type { CausalLM, DecodeSession } from '../src/model.js';
import { pairModels, steeringSession } from '../src/pair-models.js';
import { isLazyPaired, isPaired } from '../src/paired.js';
import { lazyPairSessions, pairSessions } from '../src/session-pairs.js';
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

describe('lazy base fallback', () => {
  /** A model whose sessions, like some backends', take several tokens only on an empty cache. */
  function oneTokenAfterPrefill(model: ReturnType<typeof createToyModel>): CausalLM {
    return {
      info: model.info,
      vocabSize: model.vocabSize,
      score: (tokens) => model.score(tokens),
      createSession: () => {
        const wrap = (session: DecodeSession): DecodeSession => ({
          prefillsIntoCache: false,
          vocabSize: session.vocabSize,
          get length() {
            return session.length;
          },
          get disposed() {
            return session.disposed;
          },
          append: (tokens) => session.append(tokens),
          fork: () => wrap(session.fork()),
          dispose: () => session.dispose(),
        });
        return wrap(model.createSession());
      },
    };
  }

  it('refuses a lazy pair (LAZY_BASE_UNSUPPORTED) and steeringSession falls back to eager, saying why', async () => {
    const base = createToyModel({ vocabSize: 16, seed: 1 });
    const adapted = createToyModel({ vocabSize: 16, seed: 2 });
    const limited = oneTokenAfterPrefill(base);
    const [b0, a0] = [limited.createSession(), adapted.createSession()];
    const error = (() => {
      try {
        lazyPairSessions(b0, a0);
      } catch (e) {
        return e;
      }
    })();
    b0.dispose();
    a0.dispose();
    expect(error).toBeInstanceOf(SvdecodeError);
    expect(error).toMatchObject({ code: 'LAZY_BASE_UNSUPPORTED' });
    expect((error as SvdecodeError).hint).toMatch(/lazyBase: false/);
    const heard: string[] = [];
    const session = steeringSession(pairModels(limited, adapted), { onFallback: (e) => heard.push(e.code) });
    expect(isLazyPaired(session)).toBe(false);
    expect(heard).toEqual(['LAZY_BASE_UNSUPPORTED']);
    const { base: b, adapted: a } = await session.append([1, 2]);
    expect(maxAbsDiff(b, (await base.score([1, 2])).subarray(16))).toBe(0);
    expect(maxAbsDiff(a, (await adapted.score([1, 2])).subarray(16))).toBe(0);
    session.dispose();
    expect(base.liveSessions + adapted.liveSessions).toBe(0); // the refused lazy pair's sessions too
  });
});
