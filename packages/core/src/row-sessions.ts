import { SvdecodeError } from './errors.js';
import type { LazyBaseCosts } from './lazy-costs.js';
import type { DecodeSession } from './model.js';
import type { LazyPairedSession, ModelSteering, PairedLogits, PairedSession } from './paired.js';
import type { PairedRowRunner, RowKind, RowRun, RowRunner } from './row-runner.js';
import { checkTokens } from './validate.js';

const PAIR: readonly RowKind[] = ['base', 'adapted'];

/** Where a session keeps its states: one for rows in lockstep (`joint`), or one per row while split. */
type Slot = 'joint' | 'base' | 'adapted';

/** Where a new session starts: a state (undefined: nothing decoded yet) after `length` tokens. */
export interface RowSessionStart<State> {
  state: State | undefined;
  length: number;
}

/**
 * What every session of the machine shares: the runner, the length, disposal, the states by slot,
 * and the counting of live sessions. A state is out of its slot while a run owns it, so that a
 * session disposed mid-run frees the run's result instead of a state the runner is using, and a
 * failed run puts it back.
 */
abstract class MachineSession<State> {
  #length: number;
  #disposed = false;
  protected slots: Partial<Record<Slot, State>> = {};
  /** Steering the model computes on eager (base, adapted) runs (`steerInModel`). */
  protected steering: ModelSteering | undefined;

  constructor(
    protected readonly runner: RowRunner<State>,
    start: RowSessionStart<State> | undefined,
  ) {
    this.#length = start?.length ?? 0;
    if (start?.state !== undefined) this.slots.joint = start.state;
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

  /** One run of `rows` from the state in `slot`, `past` tokens in; the new state goes back there. */
  protected async runSlot(
    slot: Slot,
    rows: readonly RowKind[],
    past: number,
    tokens: number[],
  ): Promise<RowRun<State>> {
    const state = this.slots[slot];
    this.slots[slot] = undefined; // not `delete`: the slots object keeps its shape on this per-token path
    let out: RowRun<State>;
    try {
      out = await this.runner.run(rows, state, past, tokens, rows === PAIR ? this.steering : undefined);
    } catch (error) {
      if (this.#disposed) this.free(state);
      else if (state !== undefined) this.slots[slot] = state;
      throw error;
    }
    if (this.#disposed) {
      this.free(out.state);
      throw new SvdecodeError('SESSION_DISPOSED', 'session disposed during a step');
    }
    this.slots[slot] = out.state;
    return out;
  }

  protected free(state: State | undefined): void {
    if (state !== undefined) this.runner.dispose(state);
  }

  /** Independent copies of every state, for a fork. */
  protected copySlots(): Partial<Record<Slot, State>> {
    const copy: Partial<Record<Slot, State>> = {};
    for (const [slot, state] of Object.entries(this.slots) as [Slot, State | undefined][])
      if (state !== undefined) copy[slot] = this.runner.fork(state);
    return copy;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const state of Object.values(this.slots)) this.free(state as State | undefined);
    this.slots = {};
    this.runner.liveSessions--;
  }
}

/** Rows decoding the same tokens in lockstep with one state. */
abstract class LockstepSession<State> extends MachineSession<State> {
  protected async step(rows: readonly RowKind[], tokens: ArrayLike<number>): Promise<RowRun<State>> {
    this.check('append', tokens);
    const out = await this.runSlot('joint', rows, this.length, Array.from(tokens));
    this.advance(tokens.length);
    return out;
  }

  protected forkStart(): RowSessionStart<State> {
    this.check('fork');
    return { state: this.copySlots().joint, length: this.length };
  }
}

/** One row (a plain model, or one side of a pair) as a `DecodeSession`. */
export class RowSession<State> extends LockstepSession<State> implements DecodeSession {
  constructor(
    runner: RowRunner<State>,
    private readonly row: RowKind,
    start?: RowSessionStart<State>,
  ) {
    super(runner, start);
  }

  async append(tokens: ArrayLike<number>): Promise<Float32Array> {
    return (await this.step([this.row], tokens)).logits(0);
  }

  fork(): RowSession<State> {
    return new RowSession(this.runner, this.row, this.forkStart());
  }
}

/** Asks a runner that steers in the model to do it on a session's eager steps. */
function steerInModel<State>(
  pair: PairedRowRunner<State>,
  settings: ModelSteering | undefined,
): ModelSteering | undefined {
  return pair.steersInModel && settings ? { ...settings } : undefined;
}

/** Base and adapted rows in one run per step: the eager `PairedSession`. */
export class PairedRowSession<State> extends LockstepSession<State> implements PairedSession {
  constructor(
    private readonly pair: PairedRowRunner<State>,
    start?: RowSessionStart<State>,
  ) {
    super(pair, start);
  }

  async append(tokens: ArrayLike<number>): Promise<PairedLogits> {
    const out = await this.step(PAIR, tokens);
    return { base: out.logits(0), adapted: out.logits(1), steered: out.steered };
  }

  steerInModel(settings: ModelSteering | undefined): boolean {
    this.steering = steerInModel(this.pair, settings);
    return this.steering !== undefined;
  }

  fork(): PairedRowSession<State> {
    const copy = new PairedRowSession(this.pair, this.forkStart());
    copy.steering = this.steering;
    return copy;
  }
}

/**
 * Lazy base decoding on any runner. Joint: one (base, adapted) state and one run per eager step.
 * Split: one-row states, the base one behind by `pending` tokens. It splits on the first
 * adapted-only step and joins again on the first eager step with nothing pending.
 */
export class LazyPairedRowSession<State> extends MachineSession<State> implements LazyPairedSession {
  #split = false;
  #pending: number[] = [];
  #lastBase: Float32Array | undefined;

  constructor(
    private readonly pair: PairedRowRunner<State>,
    start?: RowSessionStart<State>,
  ) {
    super(pair, start);
  }

  get costs(): LazyBaseCosts {
    return this.pair.lazyCosts;
  }

  get baseBehind(): number {
    return this.#pending.length;
  }

  async #runBase(tokens: number[]): Promise<Float32Array> {
    return (await this.runSlot('base', ['base'], this.length - this.#pending.length, tokens)).logits(0);
  }

  async #runAdapted(tokens: number[]): Promise<Float32Array> {
    return (await this.runSlot('adapted', ['adapted'], this.length, tokens)).logits(0);
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
    const out = await this.runSlot('joint', PAIR, this.length, ids);
    this.advance(ids.length);
    this.#lastBase = out.logits(0);
    return { base: this.#lastBase, adapted: out.logits(1), steered: out.steered };
  }

  /** Steering in the model on the eager steps that run both rows at once (catch-ups run them apart). */
  steerInModel(settings: ModelSteering | undefined): boolean {
    this.steering = steerInModel(this.pair, settings);
    return this.steering !== undefined;
  }

  async appendAdapted(tokens: ArrayLike<number>): Promise<Float32Array> {
    this.check('appendAdapted', tokens);
    const ids = Array.from(tokens);
    if (!this.#split) {
      const { joint } = this.slots;
      this.slots.joint = undefined;
      if (joint !== undefined) [this.slots.base, this.slots.adapted] = this.pair.split(joint);
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
    this.#lastBase = await this.#runBase(this.#pending);
    this.#pending = [];
    return this.#lastBase;
  }

  /** Both rows are at the same length here (nothing pending); before any run neither has a state. */
  #join(): void {
    const { base, adapted } = this.slots;
    this.slots = base !== undefined && adapted !== undefined ? { joint: this.pair.join(base, adapted) } : {};
    this.#split = false;
  }

  fork(): LazyPairedRowSession<State> {
    this.check('fork');
    const copy = new LazyPairedRowSession(this.pair, { state: undefined, length: this.length });
    copy.slots = this.copySlots();
    copy.#split = this.#split;
    copy.#pending = [...this.#pending];
    copy.#lastBase = this.#lastBase;
    copy.steering = this.steering;
    return copy;
  }
}
