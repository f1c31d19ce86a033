import { SvdecodeError } from './errors.js';
import { LazyBaseCosts } from './lazy-costs.js';
import type { DecodeSession } from './model.js';
import type { LazyPairedSession, PairedSession } from './paired.js';
import type { PairedRowRunner, RowKind, RowRun } from './row-runner.js';
import { LazyPairedRowSession, PairedRowSession } from './row-sessions.js';
import { checkSameVocab } from './validate.js';

/**
 * The row runner of two models that cannot share a run: each row is a session of its own (base
 * first), and a run appends to them side by side. Backends with one model for both rows (a paired
 * graph, weight-sharing adapters) batch the rows instead.
 */
class SessionRows implements PairedRowRunner<DecodeSession[]> {
  liveSessions = 0;

  constructor(
    readonly vocabSize: number,
    readonly lazyCosts: LazyBaseCosts,
  ) {}

  async run(_rows: readonly RowKind[], state: DecodeSession[] | undefined, _past: number, tokens: number[]) {
    // the machine starts every pair from two sessions, so there is always a state here
    const sessions = state!;
    const logits = await Promise.all(sessions.map((s) => s.append(tokens)));
    return { logits: (row: number) => logits[row]!, state: sessions } satisfies RowRun<DecodeSession[]>;
  }

  split([base, adapted]: DecodeSession[]): [DecodeSession[], DecodeSession[]] {
    return [[base!], [adapted!]];
  }

  join([base]: DecodeSession[], [adapted]: DecodeSession[]): DecodeSession[] {
    return [base!, adapted!];
  }

  fork(sessions: DecodeSession[]): DecodeSession[] {
    const forks: DecodeSession[] = [];
    try {
      for (const s of sessions) forks.push(s.fork());
    } catch (error) {
      for (const f of forks) f.dispose();
      throw error;
    }
    return forks;
  }

  dispose(sessions: DecodeSession[]): void {
    for (const s of sessions) s.dispose();
  }
}

function start(base: DecodeSession, adapted: DecodeSession) {
  checkSameVocab(base.vocabSize, adapted.vocabSize, 'base and adapted models');
  if (base.length !== adapted.length) {
    throw new SvdecodeError(
      'BAD_ARGUMENT',
      `sessions to pair must be at the same position (${base.length} vs ${adapted.length})`,
    );
  }
  return { state: [base, adapted], length: adapted.length };
}

/** Pairs two sessions at the same position. Throws VOCAB_MISMATCH when their vocabularies differ. */
export function pairSessions(base: DecodeSession, adapted: DecodeSession): PairedSession {
  const from = start(base, adapted);
  return new PairedRowSession(new SessionRows(adapted.vocabSize, new LazyBaseCosts()), from);
}

/**
 * Two sessions at the same position as a `LazyPairedSession`: each model keeps its own cache, and
 * the base one runs only when asked. VOCAB_MISMATCH when vocabularies differ. Pass one `costs` for
 * all the pairs of the same two models, so that what one generation measured informs the next.
 */
export function lazyPairSessions(
  base: DecodeSession,
  adapted: DecodeSession,
  costs: LazyBaseCosts = new LazyBaseCosts(),
): LazyPairedSession {
  if (base.prefillsIntoCache === false) {
    throw new SvdecodeError(
      'LAZY_BASE_UNSUPPORTED',
      'lazy base decoding needs a base session that can prefill several tokens into an existing cache',
    );
  }
  return new LazyPairedRowSession(new SessionRows(adapted.vocabSize, costs), start(base, adapted));
}
