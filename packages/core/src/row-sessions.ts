import { SvdecodeError } from './errors.js';
import type { LazyBaseCosts } from './lazy-costs.js';
import type { DecodeSession } from './model.js';
import type { LazyPairedSession, PairedLogits, PairedSession } from './paired.js';
import type { PairedRowRunner, RowKind, RowRun, RowRunner } from './row-runner.js';
import { checkTokens } from './validate.js';

const PAIR: readonly RowKind[] = ['base', 'adapted'];

/**
 * What every session of the machine shares: the runner, the length, disposal and the counting of
 * live sessions. `#take`/`#give` keep a state out of the session while a run owns it, so that a
 * session disposed mid-run frees the run's result instead of a state the runner is using.
 */
abstract class MachineSession<State> {
  #length: number;
  #disposed = false;

  constructor(
    protected readonly runner: RowRunner<State>,
    length: number,
  ) {
    this.#length = length;
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

  protected advance(tokens: number): void {
    this.#length += tokens;
  }

  protected check(what: string, tokens?: ArrayLike<number>): void {
    if (this.#disposed) throw new SvdecodeError('SESSION_DISPOSED', `${what}() on a disposed session`);
    if (tokens) checkTokens(tokens, this.runner.vocabSize); // before any row moves
  }

  /** A run that owns `state` while in flight: `restore` puts it back if the run throws. */
  protected async run(
    rows: readonly RowKind[],
    state: State | undefined,
    past: number,
    tokens: number[],
    restore: (state: State | undefined) => void,
  ): Promise<RowRun<State>> {
    let out: RowRun<State>;
    try {
      out = await this.runner.run(rows, state, past, tokens);
    } catch (error) {
      if (this.#disposed) this.free(state);
      else restore(state);
      throw error;
    }
    if (this.#disposed) {
      this.free(out.state);
      throw new SvdecodeError('SESSION_DISPOSED', 'session disposed during a step');
    }
    return out;
  }

  protected free(state: State | undefined): void {
    if (state !== undefined) this.runner.dispose(state);
  }

  protected copy(state: State | undefined): State | undefined {
    return state === undefined ? undefined : this.runner.fork(state);
  }

  /** Frees the session's states; called once. */
  protected abstract release(): void;

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.release();
    this.runner.liveSessions--;
  }
}

/** Rows decoding the same tokens in lockstep with one state. */
abstract class LockstepSession<State> extends MachineSession<State> {
  #state: State | undefined;

  constructor(
    runner: RowRunner<State>,
    protected readonly rows: readonly RowKind[],
    start?: { state: State | undefined; length: number },
  ) {
    super(runner, start?.length ?? 0);
    this.#state = start?.state;
  }

  protected async step(tokens: ArrayLike<number>): Promise<RowRun<State>> {
    this.check('append', tokens);
    const state = this.#state;
    this.#state = undefined;
    const out = await this.run(this.rows, state, this.length, Array.from(tokens), (s) => {
      this.#state = s;
    });
    this.#state = out.state;
    this.advance(tokens.length);
    return out;
  }

  protected forkStart(): { state: State | undefined; length: number } {
    this.check('fork');
    return { state: this.copy(this.#state), length: this.length };
  }

  protected release(): void {
    this.free(this.#state);
    this.#state = undefined;
  }
}

/** One row (a plain model, or one side of a pair) as a `DecodeSession`. */
export class RowSession<State> extends LockstepSession<State> implements DecodeSession {
  constructor(runner: RowRunner<State>, row: RowKind, start?: { state: State | undefined; length: number }) {
    super(runner, [row], start);
  }

  async append(tokens: ArrayLike<number>): Promise<Float32Array> {
    return (await this.step(tokens)).logits(0);
  }

  fork(): RowSession<State> {
    return new RowSession(this.runner, this.rows[0]!, this.forkStart());
  }
}

/** Base and adapted rows in one run per step: the eager `PairedSession`. */
export class PairedRowSession<State> extends LockstepSession<State> implements PairedSession {
  constructor(
    private readonly pair: PairedRowRunner<State>,
    start?: { state: State | undefined; length: number },
  ) {
    super(pair, PAIR, start);
  }

  async append(tokens: ArrayLike<number>): Promise<PairedLogits> {
    const out = await this.step(tokens);
    return { base: out.logits(0), adapted: out.logits(1) };
  }

  fork(): PairedRowSession<State> {
    return new PairedRowSession(this.pair, this.forkStart());
  }
}

/**
 * Lazy base decoding on any runner. Joint: one (base, adapted) state and one run per eager step.
 * Split: one-row states, the base one behind by `pending` tokens. It splits on the first
 * adapted-only step and joins again on the first eager step with nothing pending.
 */
export class LazyPairedRowSession<State> extends MachineSession<State> implements LazyPairedSession {
  #joint: State | undefined;
  #base: State | undefined;
  #adapted: State | undefined;
  #split = false;
  #pending: number[] = [];
  #lastBase: Float32Array | undefined;

  constructor(
    private readonly pair: PairedRowRunner<State>,
    start?: { state: State | undefined; length: number },
  ) {
    super(pair, start?.length ?? 0);
    this.#joint = start?.state;
  }

  get costs(): LazyBaseCosts {
    return this.pair.lazyCosts;
  }

  get baseBehind(): number {
    return this.#pending.length;
  }

  async #runBase(tokens: number[]): Promise<Float32Array> {
    const state = this.#base;
    this.#base = undefined;
    const past = this.length - this.#pending.length;
    const out = await this.run(['base'], state, past, tokens, (s) => {
      this.#base = s;
    });
    this.#base = out.state;
    return out.logits(0);
  }

  async #runAdapted(tokens: number[]): Promise<Float32Array> {
    const state = this.#adapted;
    this.#adapted = undefined;
    const out = await this.run(['adapted'], state, this.length, tokens, (s) => {
      this.#adapted = s;
    });
    this.#adapted = out.state;
    return out.logits(0);
  }

  async append(tokens: ArrayLike<number>): Promise<PairedLogits> {
    this.check('append', tokens);
    const ids = Array.from(tokens);
    if (this.#split && this.#pending.length > 0) {
      // the base row catches up and takes this step in one run; the adapted row one step
      const [base, adapted] = await Promise.all([
        this.#runBase([...this.#pending, ...ids]),
        this.#runAdapted(ids),
      ]);
      this.#pending = [];
      this.advance(ids.length);
      this.#lastBase = base;
      return { base, adapted };
    }
    if (this.#split) this.#join();
    const state = this.#joint;
    this.#joint = undefined;
    const out = await this.run(PAIR, state, this.length, ids, (s) => {
      this.#joint = s;
    });
    this.#joint = out.state;
    this.advance(ids.length);
    this.#lastBase = out.logits(0);
    return { base: this.#lastBase, adapted: out.logits(1) };
  }

  async appendAdapted(tokens: ArrayLike<number>): Promise<Float32Array> {
    this.check('appendAdapted', tokens);
    const ids = Array.from(tokens);
    if (!this.#split) {
      if (this.#joint !== undefined) [this.#base, this.#adapted] = this.pair.split(this.#joint);
      this.#joint = undefined;
      this.#split = true;
    }
    const adapted = await this.#runAdapted(ids);
    this.#pending.push(...ids);
    this.advance(ids.length);
    this.#lastBase = undefined;
    return adapted;
  }

  async catchUpBase(): Promise<Float32Array> {
    this.check('catchUpBase');
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

  /** Both rows are at the same length here (nothing pending); before any run both are undefined. */
  #join(): void {
    if (this.#base !== undefined && this.#adapted !== undefined)
      this.#joint = this.pair.join(this.#base, this.#adapted);
    else this.#joint = undefined;
    this.#base = this.#adapted = undefined;
    this.#split = false;
  }

  fork(): LazyPairedRowSession<State> {
    this.check('fork');
    const copy = new LazyPairedRowSession(this.pair, { state: this.copy(this.#joint), length: this.length });
    copy.#base = this.copy(this.#base);
    copy.#adapted = this.copy(this.#adapted);
    copy.#split = this.#split;
    copy.#pending = [...this.#pending];
    copy.#lastBase = this.#lastBase;
    return copy;
  }

  protected release(): void {
    for (const state of [this.#joint, this.#base, this.#adapted]) this.free(state);
    this.#joint = this.#base = this.#adapted = undefined;
  }
}
