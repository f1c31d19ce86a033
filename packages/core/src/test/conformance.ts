import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSvdecodeError } from '../errors.js';
import type { CausalLM } from '../model.js';

export interface ConformanceOptions {
  /** Prompt fed first (default: a few ids derived from the vocabulary size). */
  prompt?: number[];
  /** Tokens fed one at a time after the prompt. */
  continuation?: number[];
  /** Max abs difference allowed between cached and recomputed logits (default 1e-4). */
  tolerance?: number;
}

/** Largest absolute elementwise difference; Infinity when lengths differ. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue; // equal infinities
    const d = Math.abs(x - y);
    if (!(d <= m)) m = d; // NaN propagates as NaN > everything
  }
  return m;
}

function lastRow(all: Float32Array, vocab: number): Float32Array {
  return all.subarray(all.length - vocab);
}

/** Awaits `promise` (or calls the function) and checks it fails with an SvdecodeError of `code`. */
export async function expectCode(promise: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    expect(isSvdecodeError(error), String(error)).toBe(true);
    expect((error as { code: string }).code).toBe(code);
    return;
  }
  throw new Error(`expected an error with code ${code}`);
}

/**
 * The behaviour every `CausalLM` implementation must show. Call it inside a test file:
 * `describeCausalLMConformance('tfjs llama', () => loadModel(dir))`.
 */
export function describeCausalLMConformance(
  label: string,
  load: () => Promise<CausalLM>,
  options: ConformanceOptions = {},
): void {
  describe(`CausalLM conformance: ${label}`, () => {
    let model: CausalLM;
    let vocab: number;
    let prompt: number[];
    let continuation: number[];
    const tol = options.tolerance ?? 1e-4;

    beforeAll(async () => {
      model = await load();
      vocab = model.vocabSize;
      prompt = options.prompt ?? [1 % vocab, 7 % vocab, 3 % vocab, (vocab - 1) % vocab];
      continuation = options.continuation ?? [5 % vocab, 2 % vocab, (vocab >> 1) % vocab, 11 % vocab, 0];
    });

    afterAll(() => model?.dispose?.());

    it('reports one vocabulary size everywhere and returns finite-or-banned logits', async () => {
      expect(vocab).toBeGreaterThan(0);
      expect(model.info.vocabSize).toBe(vocab);
      const session = model.createSession();
      expect(session.vocabSize).toBe(vocab);
      expect(session.length).toBe(0);
      const logits = await session.append(prompt);
      expect(logits).toBeInstanceOf(Float32Array);
      expect(logits.length).toBe(vocab);
      expect(logits.some((x) => Number.isNaN(x))).toBe(false);
      expect(session.length).toBe(prompt.length);
      session.dispose();
    });

    it('cached step logits equal full re-computation', async () => {
      const session = model.createSession();
      const tokens = [...prompt];
      let step = await session.append(prompt);
      expect(maxAbsDiff(step, lastRow(await model.score(tokens), vocab))).toBeLessThanOrEqual(tol);
      for (const t of continuation) {
        tokens.push(t);
        step = await session.append([t]);
        const full = await model.score(tokens);
        expect(full.length).toBe(tokens.length * vocab);
        expect(maxAbsDiff(step, lastRow(full, vocab))).toBeLessThanOrEqual(tol);
        const fresh = model.createSession();
        expect(maxAbsDiff(step, await fresh.append(tokens))).toBeLessThanOrEqual(tol);
        fresh.dispose();
      }
      session.dispose();
    });

    it('score() rows are the step logits of each prefix', async () => {
      const tokens = [...prompt, ...continuation];
      const full = await model.score(tokens);
      const session = model.createSession();
      for (let t = 0; t < tokens.length; t++) {
        const step = await session.append([tokens[t]!]);
        expect(maxAbsDiff(step, full.subarray(t * vocab, (t + 1) * vocab))).toBeLessThanOrEqual(tol);
      }
      session.dispose();
    });

    it('forks are independent of their parent and of each other', async () => {
      const parent = model.createSession();
      await parent.append(prompt);
      const a = parent.fork();
      const b = parent.fork();
      expect(a.length).toBe(prompt.length);
      const [x, y] = [continuation[0]!, continuation[1]!];
      const fromA = await a.append([x]);
      const fromB = await b.append([y, x]);
      const fromParent = await parent.append([y]);
      const ref = async (tokens: number[]) => {
        const s = model.createSession();
        const out = await s.append(tokens);
        s.dispose();
        return out;
      };
      expect(maxAbsDiff(fromA, await ref([...prompt, x]))).toBeLessThanOrEqual(tol);
      expect(maxAbsDiff(fromB, await ref([...prompt, y, x]))).toBeLessThanOrEqual(tol);
      expect(maxAbsDiff(fromParent, await ref([...prompt, y]))).toBeLessThanOrEqual(tol);
      a.dispose();
      // the parent and the other fork keep working after a sibling is disposed
      expect(maxAbsDiff(await parent.append([x]), await ref([...prompt, y, x]))).toBeLessThanOrEqual(tol);
      expect(maxAbsDiff(await b.append([y]), await ref([...prompt, y, x, y]))).toBeLessThanOrEqual(tol);
      b.dispose();
      parent.dispose();
    });

    it('logits already returned are never overwritten by later steps', async () => {
      const session = model.createSession();
      const first = await session.append(prompt);
      const copy = Float32Array.from(first);
      await session.append([continuation[0]!]);
      await session.append([continuation[1]!]);
      expect(maxAbsDiff(first, copy)).toBe(0);
      session.dispose();
    });

    it('a disposed session refuses work with SESSION_DISPOSED; dispose is idempotent', async () => {
      const session = model.createSession();
      await session.append(prompt);
      session.dispose();
      expect(session.disposed).toBe(true);
      await expectCode(session.append([0]), 'SESSION_DISPOSED');
      await expectCode(() => session.fork(), 'SESSION_DISPOSED');
      expect(() => session.dispose()).not.toThrow();
    });

    it('rejects bad token ids with stable codes and stays usable', async () => {
      const session = model.createSession();
      await session.append(prompt);
      await expectCode(session.append([]), 'BAD_TOKENS');
      await expectCode(session.append([vocab]), 'TOKEN_OUT_OF_RANGE');
      await expectCode(session.append([-1]), 'TOKEN_OUT_OF_RANGE');
      await expectCode(session.append([1.5]), 'BAD_TOKENS');
      expect(session.length).toBe(prompt.length);
      const next = await session.append([continuation[0]!]);
      const ref = model.createSession();
      expect(maxAbsDiff(next, await ref.append([...prompt, continuation[0]!]))).toBeLessThanOrEqual(tol);
      ref.dispose();
      session.dispose();
    });
  });
}
