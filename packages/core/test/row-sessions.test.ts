import { describe, expect, it } from 'vitest';
import { LazyBaseCosts } from '../src/lazy-costs.js';
import type { CausalLM, DecodeSession } from '../src/model.js';
import type { PairedCausalLM, PairedLogits } from '../src/paired.js';
import type { PairedRowRunner, RowKind } from '../src/row-runner.js';
import { LazyPairedRowSession, PairedRowSession, RowSession } from '../src/row-sessions.js';
import { createToyModel, describePairedCausalLMConformance, maxAbsDiff } from '../src/test/index.js';

type State = { id: number; rows: number[][] };

/**
 * A backend as small as the machine allows: the state is each row's token history, logits come from
 * two toy models. It tracks live states, so that tests see what the machine frees.
 */
class ToyRows implements PairedRowRunner<State> {
  liveSessions = 0;
  readonly lazyCosts = new LazyBaseCosts();
  readonly live = new Set<number>();
  #next = 0;
  failNext = false;
  /** Resolves the next run only when `release` is called (to dispose a session mid-run). */
  hold: Promise<void> | undefined;
  constructor(
    readonly base: ReturnType<typeof createToyModel>,
    readonly adapted: ReturnType<typeof createToyModel>,
  ) {}
  get vocabSize(): number {
    return this.adapted.vocabSize;
  }
  #make(rows: number[][]): State {
    const s = { id: this.#next++, rows };
    this.live.add(s.id);
    return s;
  }
  async run(kinds: readonly RowKind[], state: State | undefined, past: number, tokens: number[]) {
    await this.hold;
    if (this.failNext) {
      this.failNext = false;
      throw new Error('backend failed');
    }
    const rows = kinds.map((_, r) => [...(state?.rows[r] ?? []), ...tokens]);
    expect(rows.every((r) => r.length === past + tokens.length)).toBe(true);
    if (state) this.dispose(state);
    const logits = kinds.map((k, r) => (k === 'base' ? this.base : this.adapted).logitsFor(rows[r]!));
    return { logits: (r: number) => logits[r]!, state: this.#make(rows) };
  }
  split(joint: State): [State, State] {
    this.dispose(joint);
    return [this.#make([joint.rows[0]!]), this.#make([joint.rows[1]!])];
  }
  join(base: State, adapted: State): State {
    this.dispose(base);
    this.dispose(adapted);
    return this.#make([base.rows[0]!, adapted.rows[0]!]);
  }
  fork(state: State): State {
    return this.#make(state.rows.map((r) => [...r]));
  }
  dispose(state: State): void {
    expect(this.live.delete(state.id)).toBe(true); // never freed twice
  }
}

function toyPaired(runner: ToyRows): PairedCausalLM {
  return {
    info: runner.adapted.info,
    vocabSize: runner.vocabSize,
    createSession: (): DecodeSession => new RowSession(runner, 'adapted'),
    createPairedSession: () => new PairedRowSession(runner),
    createLazyPairedSession: () => new LazyPairedRowSession(runner),
    score: (tokens) => runner.adapted.score(tokens),
    scorePaired: async (tokens): Promise<PairedLogits> => ({
      base: await runner.base.score(tokens),
      adapted: await runner.adapted.score(tokens),
    }),
  };
}

const newRunner = () =>
  new ToyRows(createToyModel({ vocabSize: 24, seed: 3 }), createToyModel({ vocabSize: 24, seed: 4 }));

describePairedCausalLMConformance('the session machine on a toy row runner', async () => {
  const runner = newRunner();
  return { paired: toyPaired(runner), base: runner.base as CausalLM };
});

describe('the session machine', () => {
  it('frees every state it made, through lazy splits, joins, forks and disposal', async () => {
    const runner = newRunner();
    const lazy = new LazyPairedRowSession(runner);
    await lazy.append([1, 2]);
    await lazy.appendAdapted([3]);
    const fork = lazy.fork();
    await lazy.appendAdapted([4]);
    const { base } = await lazy.append([5]);
    expect(maxAbsDiff(base, runner.base.logitsFor([1, 2, 3, 4, 5]))).toBe(0);
    expect(await fork.catchUpBase()).toEqual(runner.base.logitsFor([1, 2, 3]));
    expect(runner.liveSessions).toBe(2);
    lazy.dispose();
    fork.dispose();
    expect([runner.liveSessions, runner.live.size]).toEqual([0, 0]);
  });

  it('keeps the state when a run fails, and frees the result of a run its session outlived', async () => {
    const runner = newRunner();
    const session = new PairedRowSession(runner);
    await session.append([1]);
    runner.failNext = true;
    await expect(session.append([2])).rejects.toThrow('backend failed');
    expect(session.length).toBe(1);
    const { adapted } = await session.append([2]);
    expect(adapted).toEqual(runner.adapted.logitsFor([1, 2]));
    let release!: () => void;
    runner.hold = new Promise((resolve) => {
      release = resolve;
    });
    const pending = session.append([3]);
    session.dispose();
    release();
    await expect(pending).rejects.toMatchObject({ code: 'SESSION_DISPOSED' });
    expect([runner.liveSessions, runner.live.size]).toEqual([0, 0]);
  });
});
