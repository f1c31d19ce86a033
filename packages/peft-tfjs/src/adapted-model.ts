import type { TfjsCausalLM } from '@svdecode/backend-tfjs';
import {
  checkTokens,
  type DecodeSession,
  LazyBaseCosts,
  type LazyPairedSession,
  type ModelInfo,
  type PairedCausalLM,
  type PairedLogits,
  type PairedSession,
  SvdecodeError,
} from '@svdecode/core';
import * as tf from '@tensorflow/tfjs-core';
import type { Adapter } from './adapter.js';
import { appendRows, prefill, type RowState, rowLogits } from './runtime.js';

/**
 * A base model with an adapter attached. As a `CausalLM` it is the adapted model; it also makes
 * `PairedSession`s that decode base and adapted rows in one batched forward (no second copy of the
 * weights). The base model's weights are shared, never modified.
 */
export class AdaptedModel implements PairedCausalLM {
  readonly info: ModelInfo;
  /** Sessions (plain and paired) created and not yet disposed. */
  liveSessions = 0;
  /** Lazy decoding's running cost estimates, shared by this model's lazy sessions. */
  readonly lazyCosts = new LazyBaseCosts();

  constructor(
    readonly base: TfjsCausalLM,
    readonly adapter: Adapter,
  ) {
    this.info = { ...base.info, name: `${base.info.name}+${adapter.type.toLowerCase()}` };
  }

  get vocabSize(): number {
    return this.base.vocabSize;
  }

  createSession(): DecodeSession {
    return new AdaptedSession(this);
  }

  /** Base and adapted logits per step from one batched forward of two rows. */
  createPairedSession(): PairedSession {
    return new BaseAndAdaptedSession(this);
  }

  /**
   * Lazy base decoding: eager steps run base and adapted rows in one batched forward (as
   * `createPairedSession`); adapted-only steps run one row, and the base row catches up in one
   * forward when a step needs it.
   */
  createLazyPairedSession(): LazyPairedSession {
    return new LazyRowSession(this);
  }

  async score(tokens: ArrayLike<number>): Promise<Float32Array> {
    checkTokens(tokens, this.vocabSize);
    return (await this.scoreRows([Array.from(tokens)], [true]))[0]!;
  }

  /** Teacher-forced logits of both models for the same tokens, in one batched forward. */
  async scorePaired(tokens: ArrayLike<number>): Promise<PairedLogits> {
    checkTokens(tokens, this.vocabSize);
    const t = Array.from(tokens);
    const [base, adapted] = await this.scoreRows([t, t], [false, true]);
    return { base: base!, adapted: adapted! };
  }

  /** Rows of different lengths, each base or adapted; each row's logits cover its own tokens. */
  async scoreRows(rows: number[][], adapted: boolean[]): Promise<Float32Array[]> {
    const logits = tf.tidy(() => rowLogits(this.base, this.adapter, rows, adapted));
    const data = (await logits.data()) as Float32Array;
    logits.dispose();
    const V = this.vocabSize;
    const seq = logits.shape[1];
    return rows.map((r, b) => data.slice(b * seq * V, (b * seq + r.length) * V));
  }

  /** Disposes the adapter (the base model stays usable). */
  dispose(): void {
    this.adapter.dispose();
  }
}

/**
 * Rows decoding the same tokens in lockstep, each base or adapted, with their KV cache; `step`
 * returns the last position's logits of every row, row after row.
 */
abstract class TfjsRowsSession {
  #state: RowState | undefined;
  #length = 0;
  #disposed = false;

  constructor(
    protected readonly model: AdaptedModel,
    private readonly rows: boolean[],
    from?: TfjsRowsSession,
  ) {
    if (from) {
      const s = from.#state;
      this.#state = s
        ? {
            cache: s.cache?.map((l) => ({ k: tf.clone(l.k), v: tf.clone(l.v) })),
            valid: s.valid.map((v) => v.slice()),
            nextPos: [...s.nextPos],
          }
        : undefined;
      this.#length = from.#length;
    }
    model.liveSessions++;
  }

  get vocabSize(): number {
    return this.model.vocabSize;
  }

  get length(): number {
    return this.#length;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  protected async step(tokens: ArrayLike<number>): Promise<Float32Array> {
    if (this.#disposed) throw new SvdecodeError('SESSION_DISPOSED', 'append() on a disposed session');
    checkTokens(tokens, this.model.vocabSize);
    const { base, adapter } = this.model;
    const previous = this.#state;
    let next: RowState | undefined;
    const [logits] = tf.tidy(() => {
      const start = previous ?? prefill(base, adapter, this.rows);
      const r = appendRows(base, adapter, this.rows, start, tokens, true);
      next = r.state;
      // keep the logits and the new cache; tidy frees everything else (the first prefill included)
      return [r.out.logits, ...(r.state.cache ?? []).flatMap((l) => [l.k, l.v])];
    });
    const data = (await logits!.data()) as Float32Array;
    logits!.dispose();
    if (this.#disposed) {
      disposeState(next!);
      throw new SvdecodeError('SESSION_DISPOSED', 'session disposed during append()');
    }
    if (previous) disposeState(previous);
    this.#state = next;
    this.#length += tokens.length;
    return data;
  }

  protected checkForkable(): void {
    if (this.#disposed) throw new SvdecodeError('SESSION_DISPOSED', 'fork() on a disposed session');
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    if (this.#state) disposeState(this.#state);
    this.#state = undefined;
    this.model.liveSessions--;
  }
}

/** The adapted model alone: one row. */
class AdaptedSession extends TfjsRowsSession implements DecodeSession {
  constructor(model: AdaptedModel, from?: AdaptedSession) {
    super(model, [true], from);
  }

  append(tokens: ArrayLike<number>): Promise<Float32Array> {
    return this.step(tokens);
  }

  fork(): AdaptedSession {
    this.checkForkable();
    return new AdaptedSession(this.model, this);
  }
}

/** Row 0 the base model, row 1 the adapted one, in one batched forward. */
class BaseAndAdaptedSession extends TfjsRowsSession implements PairedSession {
  constructor(model: AdaptedModel, from?: BaseAndAdaptedSession) {
    super(model, [false, true], from);
  }

  async append(tokens: ArrayLike<number>): Promise<PairedLogits> {
    const data = await this.step(tokens);
    const V = this.model.vocabSize;
    return { base: data.slice(0, V), adapted: data.slice(V, 2 * V) };
  }

  fork(): BaseAndAdaptedSession {
    this.checkForkable();
    return new BaseAndAdaptedSession(this.model, this);
  }
}

function disposeState(state: RowState): void {
  for (const l of state.cache ?? []) tf.dispose([l.k, l.v]);
}

/** Rows run through the model from `state` (the first prefill when undefined); the old state is kept. */
function runRows(
  model: AdaptedModel,
  rows: boolean[],
  state: RowState | undefined,
  tokens: ArrayLike<number>,
): { logits: tf.Tensor; state: RowState } {
  let next: RowState | undefined;
  const [logits] = tf.tidy(() => {
    const start = state ?? prefill(model.base, model.adapter, rows);
    const r = appendRows(model.base, model.adapter, rows, start, tokens, true);
    next = r.state;
    return [r.out.logits, ...(r.state.cache ?? []).flatMap((l) => [l.k, l.v])];
  });
  return { logits: logits!, state: next! };
}

function sliceRow(state: RowState, row: number): RowState {
  return {
    cache: state.cache?.map((l) => ({
      k: tf.slice(l.k, [row, 0, 0, 0], [1, -1, -1, -1]),
      v: tf.slice(l.v, [row, 0, 0, 0], [1, -1, -1, -1]),
    })),
    valid: [state.valid[row]!.slice()],
    nextPos: [state.nextPos[row]!],
  };
}

function stackRows(base: RowState, adapted: RowState): RowState {
  return {
    cache: base.cache?.map((l, i) => ({
      k: tf.concat([l.k, adapted.cache![i]!.k], 0) as tf.Tensor4D,
      v: tf.concat([l.v, adapted.cache![i]!.v], 0) as tf.Tensor4D,
    })),
    valid: [base.valid[0]!.slice(), adapted.valid[0]!.slice()],
    nextPos: [base.nextPos[0]!, adapted.nextPos[0]!],
  };
}

function cloneState(state: RowState | undefined): RowState | undefined {
  return (
    state && {
      cache: state.cache?.map((l) => ({ k: tf.clone(l.k), v: tf.clone(l.v) })),
      valid: state.valid.map((v) => v.slice()),
      nextPos: [...state.nextPos],
    }
  );
}

/**
 * Lazy base decoding on tfjs. Joint: one two-row state (base, adapted) and one batched forward per
 * eager step. Split: one-row states, the base one behind by `pending` tokens. It splits on the first
 * adapted-only step and joins again on the first eager step with nothing pending.
 */
class LazyRowSession implements LazyPairedSession {
  #joint: RowState | undefined;
  #base: RowState | undefined;
  #adapted: RowState | undefined;
  #split = false;
  #pending: number[] = [];
  #lastBase: Float32Array | undefined;
  #length = 0;
  #disposed = false;
  readonly costs: LazyBaseCosts;

  constructor(
    private readonly model: AdaptedModel,
    from?: LazyRowSession,
  ) {
    this.costs = model.lazyCosts;
    if (from) {
      this.#joint = cloneState(from.#joint);
      this.#base = cloneState(from.#base);
      this.#adapted = cloneState(from.#adapted);
      this.#split = from.#split;
      this.#pending = [...from.#pending];
      this.#lastBase = from.#lastBase;
      this.#length = from.#length;
    }
    model.liveSessions++;
  }

  get vocabSize(): number {
    return this.model.vocabSize;
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
    if (tokens) checkTokens(tokens, this.model.vocabSize);
  }

  /** One forward of `rows` from `state`; returns each row's last logits and the new state. */
  async #forward(rows: boolean[], state: RowState | undefined, tokens: ArrayLike<number>) {
    const run = runRows(this.model, rows, state, tokens);
    const data = (await run.logits.data()) as Float32Array;
    run.logits.dispose();
    if (this.#disposed) {
      disposeState(run.state);
      throw new SvdecodeError('SESSION_DISPOSED', 'session disposed during a step');
    }
    if (state) disposeState(state);
    const V = this.model.vocabSize;
    return { row: (r: number) => data.slice(r * V, (r + 1) * V), state: run.state };
  }

  async append(tokens: ArrayLike<number>): Promise<PairedLogits> {
    this.#check('append', tokens);
    if (this.#split && this.#pending.length > 0) {
      // the base row catches up and takes this step in one forward; the adapted row one step
      const base = await this.#forward([false], this.#base, [...this.#pending, ...Array.from(tokens)]);
      this.#base = base.state;
      const adapted = await this.#forward([true], this.#adapted, tokens);
      this.#adapted = adapted.state;
      this.#pending = [];
      this.#length += tokens.length;
      this.#lastBase = base.row(0);
      return { base: this.#lastBase, adapted: adapted.row(0) };
    }
    if (this.#split) {
      this.#joint = this.#base && this.#adapted ? stackRows(this.#base, this.#adapted) : undefined;
      if (this.#base) disposeState(this.#base);
      if (this.#adapted) disposeState(this.#adapted);
      this.#base = this.#adapted = undefined;
      this.#split = false;
    }
    const out = await this.#forward([false, true], this.#joint, tokens);
    this.#joint = out.state;
    this.#length += tokens.length;
    this.#lastBase = out.row(0);
    return { base: this.#lastBase, adapted: out.row(1) };
  }

  async appendAdapted(tokens: ArrayLike<number>): Promise<Float32Array> {
    this.#check('appendAdapted', tokens);
    if (!this.#split) {
      if (this.#joint) {
        this.#base = sliceRow(this.#joint, 0);
        this.#adapted = sliceRow(this.#joint, 1);
        disposeState(this.#joint);
        this.#joint = undefined;
      }
      this.#split = true;
    }
    const out = await this.#forward([true], this.#adapted, tokens);
    this.#adapted = out.state;
    for (let i = 0; i < tokens.length; i++) this.#pending.push(tokens[i]!);
    this.#length += tokens.length;
    this.#lastBase = undefined;
    return out.row(0);
  }

  async catchUpBase(): Promise<Float32Array> {
    this.#check('catchUpBase');
    if (this.#pending.length === 0) {
      if (!this.#lastBase)
        throw new SvdecodeError('BAD_ARGUMENT', 'catchUpBase() before any token was appended');
      return this.#lastBase;
    }
    const out = await this.#forward([false], this.#base, this.#pending);
    this.#base = out.state;
    this.#pending = [];
    this.#lastBase = out.row(0);
    return this.#lastBase;
  }

  fork(): LazyRowSession {
    this.#check('fork');
    return new LazyRowSession(this.model, this);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const s of [this.#joint, this.#base, this.#adapted]) if (s) disposeState(s);
    this.#joint = this.#base = this.#adapted = undefined;
    this.model.liveSessions--;
  }
}
