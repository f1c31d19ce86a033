import { logSumExp } from '@svdecode/kl-gradient';
import type { SamplerChain } from './chain.js';
import { type FinishReason, type GenerationResult, type StepEvent, TopTokens } from './events.js';
import { LazyBase, requireBase, type StepLogits, type SteppableSession } from './lazy-base.js';
import type { GenerateOptions, ResolvedOptions } from './options.js';
import { topIdsSorted } from './select.js';
import { SteerStage } from './stages/steer.js';
import { TextTracker } from './text.js';

/** What a step event reports beyond the token: top tokens (when asked for) and the KL (when steering). */
type StepInfo = Pick<StepEvent, 'top' | 'kl' | 'baseRan'>;

interface Beam {
  session: SteppableSession;
  /** This beam's own sampler chain: stateful stages see this beam's tokens only. */
  chain: SamplerChain;
  /** This beam's lazy-base state (which append comes next). */
  lazy: LazyBase;
  logits: StepLogits;
  tokens: number[];
  logprobs: number[];
  infos: StepInfo[];
  /** sum of log-probabilities */
  score: number;
}

interface Candidate {
  parent: number;
  token: number;
  logprob: number;
  score: number;
  info: StepInfo;
}

interface Hypothesis {
  tokens: number[];
  logprobs: number[];
  infos: StepInfo[];
  score: number;
  normalized: number;
  eos: boolean;
}

/**
 * Beam search over (Paired)Sessions: each step expands every live beam by its 2 x numBeams best
 * tokens under the processed distribution (steering applies inside every beam), keeps the numBeams
 * best non-EOS continuations, and collects EOS-terminated hypotheses scored
 * `sum(logprob) / length^lengthPenalty`. Beams fork their sessions and clone the sampler chain (a
 * stage with state, such as a repetition penalty, is told each beam's own tokens through `accept`);
 * everything is disposed at the end. Events, with `top` and `kl` as in the other strategies, are
 * emitted for the winning sequence once the search ends.
 */
export async function* generateBeams(
  root: SteppableSession,
  prompt: number[],
  chain: SamplerChain,
  resolved: ResolvedOptions,
  options: GenerateOptions,
): AsyncGenerator<StepEvent, GenerationResult> {
  const { numBeams, lengthPenalty, eos, maxNewTokens } = resolved;
  const normalize = (score: number, length: number) => score / length ** lengthPenalty;
  const finished: Hypothesis[] = [];
  const addFinished = (h: Omit<Hypothesis, 'normalized'>) => {
    finished.push({ ...h, normalized: normalize(h.score, h.tokens.length) });
    finished.sort((a, b) => b.normalized - a.normalized);
    if (finished.length > numBeams) finished.length = numBeams;
  };
  let beams: Beam[] = [];
  let finishReason: FinishReason | undefined;
  const ids = new Uint32Array(2 * numBeams);
  let scratch = new Float32Array(0);
  const tops = new TopTokens();

  const rootLazy = new LazyBase(
    resolved.steer !== undefined && resolved.lazyBase !== false && root.appendAdapted !== undefined,
    root.costs,
    {
      measure: false, // beams run concurrently: their step times would not be one step's cost
      always: resolved.lazyBase === 'always' || resolved.steer?.mu === 0,
    },
  );
  let [steps, skipped] = [0, 0];
  try {
    const first = await rootLazy.append(root, prompt);
    if (!rootLazy.active) requireBase(first, resolved);
    beams = [
      { session: root, chain, lazy: rootLazy, logits: first, tokens: [], logprobs: [], infos: [], score: 0 },
    ];
    for (let step = 0; step < maxNewTokens && beams.length > 0; step++) {
      if (options.signal?.aborted) {
        finishReason = 'aborted';
        break;
      }
      const candidates: Candidate[] = [];
      for (let b = 0; b < beams.length; b++) {
        const beam = beams[b]!;
        beam.logits = await beam.lazy.complete(beam.session, beam.logits, resolved);
        steps++;
        if (beam.lazy.active && !beam.logits.base) skipped++;
        const history = [...prompt, ...beam.tokens];
        const processed = beam.chain.process({
          adapted: beam.logits.adapted,
          base: beam.logits.base,
          history,
          step,
          baseSkipped: beam.lazy.active && !beam.logits.base,
        });
        const info = stepInfo(beam, processed, tops, resolved.topTokens);
        if (scratch.length !== processed.length) scratch = new Float32Array(processed.length);
        const lse = logSumExp(processed);
        const n = topIdsSorted(processed, 2 * numBeams, ids, scratch);
        for (let j = 0; j < n; j++) {
          const token = ids[j]!;
          const logprob = processed[token]! - lse;
          candidates.push({ parent: b, token, logprob, score: beam.score + logprob, info });
        }
      }
      candidates.sort((x, y) => y.score - x.score || x.parent - y.parent || x.token - y.token);

      const chosen: Candidate[] = [];
      for (let rank = 0; rank < candidates.length && chosen.length < numBeams; rank++) {
        const c = candidates[rank]!;
        const parent = beams[c.parent]!;
        if (eos.has(c.token)) {
          // as in Hugging Face: an EOS only counts when it ranks among the numBeams best
          if (rank < numBeams) {
            addFinished({
              tokens: [...parent.tokens, c.token],
              logprobs: [...parent.logprobs, c.logprob],
              infos: [...parent.infos, c.info],
              score: c.score,
              eos: true,
            });
          }
          continue;
        }
        chosen.push(c);
      }

      const length = step + 1;
      const done =
        chosen.length === 0 ||
        (finished.length >= numBeams &&
          (resolved.earlyStopping ||
            normalize(chosen[0]!.score, length) <= finished[finished.length - 1]!.normalized));
      if (done || step + 1 === maxNewTokens) {
        // the search ends here; unfinished continuations compete as they are
        if (!done) {
          for (const c of chosen) {
            const p = beams[c.parent]!;
            addFinished({
              tokens: [...p.tokens, c.token],
              logprobs: [...p.logprobs, c.logprob],
              infos: [...p.infos, c.info],
              score: c.score,
              eos: false,
            });
          }
        }
        break;
      }
      beams = await advance(beams, chosen);
    }
    if (finishReason === 'aborted' || finished.length === 0) {
      for (const b of beams)
        addFinished({ tokens: b.tokens, logprobs: b.logprobs, infos: b.infos, score: b.score, eos: false });
    }
  } finally {
    for (const b of beams) b.session.dispose();
    if (beams.length === 0) root.dispose();
  }

  const best = finished[0] ?? { tokens: [], logprobs: [], infos: [], score: 0, normalized: 0, eos: false };
  const text = new TextTracker(options, resolved.stopStrings);
  let kept = best.tokens.length;
  for (let step = 0; step < best.tokens.length; step++) {
    const event: StepEvent = { step, token: best.tokens[step]!, logprob: best.logprobs[step]! };
    const info = best.infos[step];
    if (info?.top) event.top = info.top;
    if (info?.kl !== undefined) event.kl = info.kl;
    if (info?.baseRan !== undefined) event.baseRan = info.baseRan;
    const piece = text.update(best.tokens.slice(0, step + 1));
    if (piece !== undefined) event.text = piece;
    yield event;
    if (text.stopped) {
      kept = step + 1;
      break;
    }
  }
  return {
    tokens: best.tokens.slice(0, kept),
    ...(options.tokenizer ? { text: text.text } : {}),
    finishReason: finishReason ?? (text.stopped ? 'stop' : best.eos ? 'eos' : 'length'),
    logprob: best.score,
    mu: resolved.steer ? resolved.steer.mu : null,
    strategy: 'beam',
    baseSkipped: resolved.steer ? skipped / Math.max(steps, 1) : null,
  };
}

function stepInfo(beam: Beam, processed: Float32Array, tops: TopTokens, k: number): StepInfo {
  const info: StepInfo = {};
  if (k > 0) info.top = { before: tops.list(beam.logits.adapted, k), after: tops.list(processed, k) };
  const steer = beam.chain.stages.find((s) => s instanceof SteerStage);
  if (steer) {
    info.baseRan = beam.logits.base !== undefined;
    if (info.baseRan) info.kl = (steer as SteerStage).lastKL;
  }
  return info;
}

/**
 * Forks sessions and clones chains for the chosen continuations (a parent's last child takes the
 * parent's own), tells each chain its beam's token, and appends the tokens.
 */
async function advance(beams: Beam[], chosen: Candidate[]): Promise<Beam[]> {
  const remaining = new Map<number, number>();
  for (const c of chosen) remaining.set(c.parent, (remaining.get(c.parent) ?? 0) + 1);
  const sessions: SteppableSession[] = [];
  const chains: SamplerChain[] = [];
  const lazies: LazyBase[] = [];
  for (const c of chosen) {
    const left = remaining.get(c.parent)! - 1;
    remaining.set(c.parent, left);
    const parent = beams[c.parent]!;
    sessions.push(left === 0 ? parent.session : parent.session.fork());
    chains.push(left === 0 ? parent.chain : parent.chain.clone());
    lazies.push(left === 0 ? parent.lazy : parent.lazy.fork());
  }
  // every clone is made before any chain hears of a token
  for (let i = 0; i < chosen.length; i++) chains[i]!.accept(chosen[i]!.token);
  for (let b = 0; b < beams.length; b++) if (!chosen.some((c) => c.parent === b)) beams[b]!.session.dispose();
  const next: Beam[] = chosen.map((c, i) => {
    const p = beams[c.parent]!;
    return {
      session: sessions[i]!,
      chain: chains[i]!,
      lazy: lazies[i]!,
      logits: p.logits,
      tokens: [...p.tokens, c.token],
      logprobs: [...p.logprobs, c.logprob],
      infos: [...p.infos, c.info],
      score: c.score,
    };
  });
  try {
    const logits = await Promise.all(
      next.map((b) => b.lazy.append(b.session, [b.tokens[b.tokens.length - 1]!])),
    );
    for (let i = 0; i < next.length; i++) next[i]!.logits = logits[i]!;
  } catch (error) {
    for (const b of next) b.session.dispose();
    beams.length = 0;
    throw error;
  }
  return next;
}
