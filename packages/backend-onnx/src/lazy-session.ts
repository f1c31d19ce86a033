import {
  checkTokens,
  type LazyBaseCosts,
  type LazyPairedSession,
  type PairedLogits,
  SvdecodeError,
} from '@svdecode/core';
import type * as ort from 'onnxruntime-node';
import { cacheRow, stackRows } from './cache-rows.js';
import type { OrtRunner } from './ort-runner.js';

/**
 * A lazy paired session on a paired export. Joint: one [2, ...] cache, base and adapted rows in one
 * run (the eager step). Split: one-row caches, the base one behind by `pending` tokens. It splits on
 * the first adapted-only step and joins again on the first eager step with nothing pending.
 */
export class OrtLazyPairedSession implements LazyPairedSession {
  #joint: ort.Tensor[] | undefined;
  #base: ort.Tensor[] | undefined;
  #adapted: ort.Tensor[] | undefined;
  #pending: number[] = [];
  #lastBase: Float32Array | undefined;
  #length = 0;
  #disposed = false;
  readonly costs: LazyBaseCosts;

  constructor(
    private readonly runner: OrtRunner,
    costs: LazyBaseCosts,
    from?: OrtLazyPairedSession,
  ) {
    if (from) {
      // onnxruntime outputs are never written in place: forks share them
      this.#joint = from.#joint;
      this.#base = from.#base;
      this.#adapted = from.#adapted;
      this.#pending = [...from.#pending];
      this.#lastBase = from.#lastBase;
      this.#length = from.#length;
    }
    this.costs = costs;
    runner.liveSessions++;
  }

  get vocabSize(): number {
    return this.runner.vocabSize;
  }

  get length(): number {
    return this.#length;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  get baseBehind(): number {
    return this.#pending.length;
  }

  #check(what: string, tokens?: ArrayLike<number>): void {
    if (this.#disposed) throw new SvdecodeError('SESSION_DISPOSED', `${what}() on a disposed session`);
    if (tokens) checkTokens(tokens, this.runner.vocabSize);
  }

  #last(logits: Float32Array, row: number, seq: number): Float32Array {
    const V = this.runner.vocabSize;
    return logits.slice((row * seq + seq - 1) * V, (row * seq + seq) * V);
  }

  #split(): void {
    if (!this.#joint) return;
    this.#base = this.#joint.map((t) => cacheRow(t, 0));
    this.#adapted = this.#joint.map((t) => cacheRow(t, 1));
    this.#joint = undefined;
  }

  async #runBase(tokens: number[]): Promise<Float32Array> {
    const past = this.#length - this.#pending.length;
    const { logits, present, positions } = await this.runner.run(tokens, 1, past, this.#base, [0]);
    this.#base = present;
    return this.#last(logits, 0, positions);
  }

  async append(tokens: ArrayLike<number>): Promise<PairedLogits> {
    this.#check('append', tokens);
    const ids = Array.from(tokens);
    const split = this.#base !== undefined || this.#adapted !== undefined;
    if (split && this.#pending.length > 0) {
      // the base row catches up and takes this step in the same run; the adapted row one step
      const base = await this.#runBase([...this.#pending, ...ids]);
      const { logits, present, positions } = await this.runner.run(ids, 1, this.#length, this.#adapted, [1]);
      this.#adapted = present;
      this.#pending = [];
      this.#length += ids.length;
      this.#lastBase = base;
      return { base, adapted: this.#last(logits, 0, positions) };
    }
    if (split) {
      this.#joint = this.#base!.map((t, i) => stackRows(t, this.#adapted![i]!));
      this.#base = undefined;
      this.#adapted = undefined;
    }
    const { logits, present, positions } = await this.runner.run(ids, 2, this.#length, this.#joint, [0, 1]);
    this.#joint = present;
    this.#length += ids.length;
    const base = this.#last(logits, 0, positions);
    this.#lastBase = base;
    return { base, adapted: this.#last(logits, 1, positions) };
  }

  async appendAdapted(tokens: ArrayLike<number>): Promise<Float32Array> {
    this.#check('appendAdapted', tokens);
    const ids = Array.from(tokens);
    if (this.#length === 0 && !this.#joint) {
      this.#base = [];
      this.#adapted = undefined;
    } else this.#split();
    const { logits, present, positions } = await this.runner.run(ids, 1, this.#length, this.#adapted, [1]);
    this.#adapted = present;
    this.#pending.push(...ids);
    this.#length += ids.length;
    this.#lastBase = undefined;
    return this.#last(logits, 0, positions);
  }

  async catchUpBase(): Promise<Float32Array> {
    this.#check('catchUpBase');
    if (this.#pending.length === 0) {
      if (!this.#lastBase)
        throw new SvdecodeError('BAD_ARGUMENT', 'catchUpBase() before any token was appended');
      return this.#lastBase;
    }
    const base = await this.#runBase(this.#pending);
    this.#pending = [];
    this.#lastBase = base;
    return base;
  }

  fork(): OrtLazyPairedSession {
    this.#check('fork');
    return new OrtLazyPairedSession(this.runner, this.costs, this);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#joint = this.#base = this.#adapted = undefined;
    this.runner.liveSessions--;
  }
}
