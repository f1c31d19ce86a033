import { SvdecodeError, type Tokenizer } from '@svdecode/core';
import type { SteeringSettings } from '@svdecode/kl-gradient';
import { SamplerChain } from './chain.js';
import type { SamplerStage, Selector } from './stage.js';
import { logitBias, minP, repetitionPenalty, temperature, topK, topP } from './stages/filters.js';
import { draw, greedy } from './stages/selectors.js';
import { SteerStage } from './stages/steer.js';

export type Strategy = 'greedy' | 'sample' | 'beam';

export interface GenerateOptions {
  /** Stop after this many new tokens (default 64). */
  maxNewTokens?: number;
  /** greedy (default, as in the paper), sample (seeded draw) or beam search. */
  strategy?: Strategy;
  /** SVDecode steering: `{ mu, alpha = 0.1, lambda = -Infinity }`; off when absent or false. Needs a PairedSession. */
  steer?: SteeringSettings | false;
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  repetitionPenalty?: number;
  /** Token id -> additive bias (-Infinity bans). */
  logitBias?: Record<number, number>;
  /** Extra stages, run after the built-in ones and before the selector. */
  stages?: SamplerStage[];
  /** Seed of the draw for strategy 'sample' (default 0). */
  seed?: number;
  /** Beams for strategy 'beam' (default 4). */
  numBeams?: number;
  /** Beam scores are sum(logprob) / length^lengthPenalty (default 1). */
  lengthPenalty?: number;
  /** Stop beam search as soon as numBeams hypotheses are finished (default false: stop when none can improve). */
  earlyStopping?: boolean;
  /** End of sequence ids: generation stops after emitting one. */
  eosTokenIds?: readonly number[];
  /** Strings that end generation (needs `tokenizer`); the result text is cut before them. */
  stopStrings?: readonly string[];
  /** Decodes text for events and the result, and finds stop strings. */
  tokenizer?: Tokenizer;
  /** Cancels generation cleanly: the result ends with finishReason 'aborted' and sessions are disposed. */
  signal?: AbortSignal;
  /** How many top tokens (before and after steering) each step event carries (default 0: none; costs two O(V) passes per step). */
  topTokens?: number;
  /**
   * Lazy base decoding (default true): with a `LazyPairedSession`, the base model may skip the steps
   * whose steered distribution does not depend on it, catching up on the tokens it missed in one
   * forward when a step needs it; it does so where the model's measured costs say the skipped run
   * pays for the catch-up. 'always' skips every step it can (tests, benchmarks). Same tokens as
   * eager decoding whatever the setting; false runs the base model every step.
   */
  lazyBase?: boolean | 'always';
  /** Leave the session undisposed at the end (default false: generate owns it). */
  keepSession?: boolean;
}

function bad(field: string, message: string, value: unknown): never {
  throw new SvdecodeError('BAD_ARGUMENT', `${field} ${message} (got ${JSON.stringify(value)})`, {
    details: { field, value },
  });
}

export interface ResolvedOptions {
  maxNewTokens: number;
  strategy: Strategy;
  numBeams: number;
  lengthPenalty: number;
  earlyStopping: boolean;
  eos: Set<number>;
  stopStrings: readonly string[];
  topTokens: number;
  steer: SteerStage | undefined;
  lazyBase: boolean | 'always';
}

function checkLazyBase(value: GenerateOptions['lazyBase']): boolean | 'always' {
  if (value === undefined) return true;
  if (value === true || value === false || value === 'always') return value;
  return bad('lazyBase', "must be true, false or 'always'", value);
}

export function resolveOptions(options: GenerateOptions): ResolvedOptions {
  const maxNewTokens = options.maxNewTokens ?? 64;
  if (!(Number.isInteger(maxNewTokens) && maxNewTokens >= 1))
    bad('maxNewTokens', 'must be an integer >= 1', maxNewTokens);
  const strategy = options.strategy ?? 'greedy';
  if (!['greedy', 'sample', 'beam'].includes(strategy))
    bad('strategy', 'must be greedy, sample or beam', strategy);
  const numBeams = options.numBeams ?? 4;
  if (!(Number.isInteger(numBeams) && numBeams >= 1)) bad('numBeams', 'must be an integer >= 1', numBeams);
  const lengthPenalty = options.lengthPenalty ?? 1;
  if (!Number.isFinite(lengthPenalty)) bad('lengthPenalty', 'must be finite', lengthPenalty);
  const topTokens = options.topTokens ?? 0;
  if (!(Number.isInteger(topTokens) && topTokens >= 0))
    bad('topTokens', 'must be an integer >= 0', topTokens);
  const stopStrings = options.stopStrings ?? [];
  if (stopStrings.length > 0 && !options.tokenizer)
    bad('stopStrings', 'need a tokenizer to be matched', stopStrings);
  if (stopStrings.some((s) => typeof s !== 'string' || s.length === 0))
    bad('stopStrings', 'must be non-empty strings', stopStrings);
  return {
    maxNewTokens,
    strategy,
    numBeams,
    lengthPenalty,
    earlyStopping: options.earlyStopping ?? false,
    eos: new Set(options.eosTokenIds ?? []),
    stopStrings,
    topTokens,
    steer: options.steer ? new SteerStage(options.steer) : undefined,
    lazyBase: checkLazyBase(options.lazyBase),
  };
}

/**
 * The chain a generate call uses: steer (on the raw adapted logits) -> repetition penalty -> logit
 * bias -> temperature -> top-k -> top-p -> min-p -> custom stages -> selector.
 */
export function buildChain(options: GenerateOptions, steerStage: SteerStage | undefined): SamplerChain {
  const stages: SamplerStage[] = [];
  if (steerStage) stages.push(steerStage);
  if (options.repetitionPenalty !== undefined) stages.push(repetitionPenalty(options.repetitionPenalty));
  if (options.logitBias !== undefined) stages.push(logitBias(options.logitBias));
  if (options.temperature !== undefined && options.strategy === 'sample')
    stages.push(temperature(options.temperature));
  if (options.topK !== undefined) stages.push(topK(options.topK));
  if (options.topP !== undefined) stages.push(topP(options.topP));
  if (options.minP !== undefined) stages.push(minP(options.minP));
  if (options.stages) stages.push(...options.stages);
  const selector: Selector = options.strategy === 'sample' ? draw(options.seed ?? 0) : greedy();
  return new SamplerChain(stages, selector, 'generate');
}
