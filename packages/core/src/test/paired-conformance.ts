import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CausalLM } from '../model.js';
import { isLazyPaired, isPaired, type PairedCausalLM, type PairedLogits } from '../paired.js';
import { expectCode, maxAbsDiff } from './conformance.js';

export interface PairedConformanceSubject {
  /** The model under test. */
  paired: PairedCausalLM;
  /** The base model on its own, when the test has it: paired base rows must equal its logits. */
  base?: CausalLM;
  /** Frees what `load` made (called once, after the suite). */
  dispose?(): void;
}

export interface PairedConformanceOptions {
  prompt?: number[];
  continuation?: number[];
  /** Max abs difference between logits that must agree (default 1e-4). */
  tolerance?: number;
}

const rowOf = (all: Float32Array, t: number, vocab: number) => all.subarray(t * vocab, (t + 1) * vocab);

/**
 * The behaviour every `PairedCausalLM` must show, on top of the `CausalLM` suite (run that one on
 * the same model too): paired steps are `{ base, adapted }` of the same context, the adapted row is
 * the plain model's, cached steps equal `scorePaired`, and forks and disposal behave as for plain
 * sessions.
 */
export function describePairedCausalLMConformance(
  label: string,
  load: () => Promise<PairedConformanceSubject>,
  options: PairedConformanceOptions = {},
): void {
  describe(`PairedCausalLM conformance: ${label}`, () => {
    let subject: PairedConformanceSubject;
    let model: PairedCausalLM;
    let vocab: number;
    let prompt: number[];
    let continuation: number[];
    const tol = options.tolerance ?? 1e-4;

    beforeAll(async () => {
      subject = await load();
      model = subject.paired;
      vocab = model.vocabSize;
      prompt = options.prompt ?? [1 % vocab, 7 % vocab, 3 % vocab, (vocab - 1) % vocab];
      continuation = options.continuation ?? [5 % vocab, 2 % vocab, (vocab >> 1) % vocab, 0];
    });

    afterAll(() => subject?.dispose?.());

    const stepOf = async (tokens: number[]): Promise<PairedLogits> => {
      const s = model.createPairedSession();
      try {
        return await s.append(tokens);
      } finally {
        s.dispose();
      }
    };

    it('is recognised by isPaired and steps return { base, adapted } rows of the vocabulary', async () => {
      expect(isPaired(model)).toBe(true);
      const session = model.createPairedSession();
      expect(session.vocabSize).toBe(vocab);
      const out = await session.append(prompt);
      expect(out).not.toBeInstanceOf(Float32Array);
      for (const row of [out.base, out.adapted]) {
        expect(row).toBeInstanceOf(Float32Array);
        expect(row.length).toBe(vocab);
        expect(row.some((x) => Number.isNaN(x))).toBe(false);
      }
      expect(session.length).toBe(prompt.length);
      session.dispose();
    });

    it('the adapted row is the plain model and the base row the base model, for the same context', async () => {
      const out = await stepOf([...prompt, continuation[0]!]);
      const plain = model.createSession();
      expect(maxAbsDiff(out.adapted, await plain.append([...prompt, continuation[0]!]))).toBeLessThanOrEqual(
        tol,
      );
      plain.dispose();
      if (subject.base) {
        const base = subject.base.createSession();
        expect(maxAbsDiff(out.base, await base.append([...prompt, continuation[0]!]))).toBeLessThanOrEqual(
          tol,
        );
        base.dispose();
      }
    });

    it('cached paired steps equal scorePaired rows', async () => {
      const tokens = [...prompt, ...continuation];
      const full = await model.scorePaired(tokens);
      expect(full.base.length).toBe(tokens.length * vocab);
      expect(full.adapted.length).toBe(tokens.length * vocab);
      const session = model.createPairedSession();
      let out = await session.append(prompt);
      const last = prompt.length - 1;
      expect(maxAbsDiff(out.base, rowOf(full.base, last, vocab))).toBeLessThanOrEqual(tol);
      expect(maxAbsDiff(out.adapted, rowOf(full.adapted, last, vocab))).toBeLessThanOrEqual(tol);
      for (let i = 0; i < continuation.length; i++) {
        out = await session.append([continuation[i]!]);
        const t = prompt.length + i;
        expect(maxAbsDiff(out.base, rowOf(full.base, t, vocab))).toBeLessThanOrEqual(tol);
        expect(maxAbsDiff(out.adapted, rowOf(full.adapted, t, vocab))).toBeLessThanOrEqual(tol);
      }
      session.dispose();
    });

    it('forks are independent, and returned logits are never overwritten', async () => {
      const parent = model.createPairedSession();
      const first = await parent.append(prompt);
      const copy = { base: Float32Array.from(first.base), adapted: Float32Array.from(first.adapted) };
      const fork = parent.fork();
      expect(fork.length).toBe(prompt.length);
      const [x, y] = [continuation[0]!, continuation[1]!];
      const fromFork = await fork.append([x]);
      const fromParent = await parent.append([y]);
      const refX = await stepOf([...prompt, x]);
      const refY = await stepOf([...prompt, y]);
      expect(maxAbsDiff(fromFork.adapted, refX.adapted)).toBeLessThanOrEqual(tol);
      expect(maxAbsDiff(fromFork.base, refX.base)).toBeLessThanOrEqual(tol);
      expect(maxAbsDiff(fromParent.adapted, refY.adapted)).toBeLessThanOrEqual(tol);
      expect(maxAbsDiff(fromParent.base, refY.base)).toBeLessThanOrEqual(tol);
      expect(maxAbsDiff(first.base, copy.base)).toBe(0);
      expect(maxAbsDiff(first.adapted, copy.adapted)).toBe(0);
      fork.dispose();
      parent.dispose();
    });

    it('lazy sessions (when the model has them): the base catches up to the step-by-step logits', async () => {
      if (!model.createLazyPairedSession) return; // eager-only backends skip nothing: the eager tests above cover them
      const lazy = model.createLazyPairedSession();
      expect(isLazyPaired(lazy)).toBe(true);
      const tokens = [...prompt, ...continuation];
      const full = await model.scorePaired(tokens);
      // the prompt and two tokens on the adapted model alone, then one catch-up of the base
      let adapted = await lazy.appendAdapted(prompt);
      expect(maxAbsDiff(adapted, rowOf(full.adapted, prompt.length - 1, vocab))).toBeLessThanOrEqual(tol);
      for (let i = 0; i < 2; i++) adapted = await lazy.appendAdapted([continuation[i]!]);
      expect(lazy.baseBehind).toBe(prompt.length + 2);
      const at = prompt.length + 1;
      expect(maxAbsDiff(await lazy.catchUpBase(), rowOf(full.base, at, vocab))).toBeLessThanOrEqual(tol);
      expect(lazy.baseBehind).toBe(0);
      // a fork carries what the base has not seen; eager steps after lazy ones catch up on the way
      await lazy.appendAdapted([continuation[2]!]);
      const fork = lazy.fork();
      for (const session of [lazy, fork]) {
        const both = await session.append([continuation[3]!]);
        expect(maxAbsDiff(both.base, rowOf(full.base, at + 2, vocab))).toBeLessThanOrEqual(tol);
        expect(maxAbsDiff(both.adapted, rowOf(full.adapted, at + 2, vocab))).toBeLessThanOrEqual(tol);
        expect(session.baseBehind).toBe(0);
        session.dispose();
      }
      await expectCode(lazy.appendAdapted([0]), 'SESSION_DISPOSED');
      // every transition between eager and adapted-only steps, checked against full scoring
      const mixed = model.createLazyPairedSession();
      await mixed.appendAdapted(prompt);
      const rowAt = (t: number) => ({
        base: rowOf(full.base, t, vocab),
        adapted: rowOf(full.adapted, t, vocab),
      });
      expect(maxAbsDiff(await mixed.catchUpBase(), rowAt(prompt.length - 1).base)).toBeLessThanOrEqual(tol);
      const steps: Array<'eager' | 'adapted'> = ['eager', 'adapted', 'eager', 'eager'];
      for (const [i, kind] of steps.entries()) {
        const t = prompt.length + i;
        const want = rowAt(t);
        if (kind === 'eager') {
          const got = await mixed.append([continuation[i]!]);
          expect(maxAbsDiff(got.base, want.base)).toBeLessThanOrEqual(tol);
          expect(maxAbsDiff(got.adapted, want.adapted)).toBeLessThanOrEqual(tol);
        } else {
          expect(maxAbsDiff(await mixed.appendAdapted([continuation[i]!]), want.adapted)).toBeLessThanOrEqual(
            tol,
          );
          expect(maxAbsDiff(await mixed.catchUpBase(), want.base)).toBeLessThanOrEqual(tol);
        }
      }
      mixed.dispose();
    });

    it('a disposed paired session refuses work; bad tokens get stable codes', async () => {
      const session = model.createPairedSession();
      await session.append(prompt);
      await expectCode(session.append([vocab]), 'TOKEN_OUT_OF_RANGE');
      await expectCode(session.append([]), 'BAD_TOKENS');
      expect(session.length).toBe(prompt.length);
      session.dispose();
      expect(session.disposed).toBe(true);
      await expectCode(session.append([0]), 'SESSION_DISPOSED');
      await expectCode(() => session.fork(), 'SESSION_DISPOSED');
      expect(() => session.dispose()).not.toThrow();
    });
  });
}
