import { checkTokens, type DecodeSession, type PairedSession } from '@svdecode/core';
import { generateBeams } from './beam.js';
import type { SamplerChain } from './chain.js';
import type { GenerationResult } from './events.js';
import { toSteppable } from './lazy-base.js';
import { buildChain, type GenerateOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { generateSequential } from './sequential.js';
import { GenerationStream } from './stream.js';

/**
 * Generates from `promptTokens`. With `steer: { mu }` the session must be a PairedSession (base and
 * adapted logits each step); every strategy steers (inside every beam for beam search). The call
 * owns the session and disposes it, and every fork it makes, when it ends for any reason.
 */
export function generate(
  session: DecodeSession | PairedSession,
  promptTokens: ArrayLike<number>,
  options: GenerateOptions = {},
): GenerationStream {
  let resolved: ResolvedOptions;
  let chain: SamplerChain;
  try {
    resolved = resolveOptions(options);
    checkTokens(promptTokens, session.vocabSize);
    chain = buildChain(options, resolved.steer);
  } catch (error) {
    if (!options.keepSession) session.dispose(); // the call owns the session, even when it refuses to start
    throw error;
  }
  // one signal for the caller's AbortSignal and for a consumer that stops iterating early
  const stop = new AbortController();
  const userSignal = options.signal;
  if (userSignal?.aborted) stop.abort();
  userSignal?.addEventListener('abort', () => stop.abort(), { once: true });
  const run = { ...options, signal: stop.signal };
  // a model that computes the steering step itself does it on every eager step (the steer stage
  // comes first in this chain, so it sees the raw logits the model steered)
  const steer = resolved.steer;
  if (steer && steer.mu !== 0 && 'steerInModel' in session)
    session.steerInModel?.({ mu: steer.mu, alpha: steer.alpha, lambda: steer.lambda });
  const stepper = toSteppable(session);
  const gen =
    resolved.strategy === 'beam'
      ? generateBeams(stepper, Array.from(promptTokens), chain, resolved, run)
      : generateSequential(stepper, Array.from(promptTokens), chain, resolved, run);
  return new GenerationStream(gen, stop);
}

/** Convenience: runs to the end and returns the result. */
export function generateAll(
  session: DecodeSession | PairedSession,
  promptTokens: ArrayLike<number>,
  options: GenerateOptions = {},
): Promise<GenerationResult> {
  return generate(session, promptTokens, options).result;
}
