import { checkTokens, type DecodeSession, type PairedSession, SvdecodeError } from '@svdecode/core';
import { generateBeams } from './beam.js';
import type { SamplerChain } from './chain.js';
import { type FinishReason, type GenerationResult, type StepEvent, TopTokens } from './events.js';
import { buildChain, type GenerateOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { logSumExp } from './select.js';
import { type StepLogits, type Stepper, toStepper } from './session.js';
import type { SamplerContext } from './stage.js';

/**
 * A running generation: iterate it for step events; `result` resolves to the final result (reading
 * it without iterating drives the generation to the end). Breaking out of the loop stops the
 * generation and disposes its sessions.
 */
export class GenerationStream implements AsyncIterable<StepEvent> {
  readonly #gen: AsyncGenerator<StepEvent, GenerationResult>;
  readonly #result: Promise<GenerationResult>;
  #resolve!: (value: GenerationResult) => void;
  #reject!: (error: unknown) => void;
  #started = false;

  readonly #stop: AbortController;

  constructor(gen: AsyncGenerator<StepEvent, GenerationResult>, stop: AbortController) {
    this.#gen = gen;
    this.#stop = stop;
    this.#result = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#result.catch(() => {}); // the error also reaches the iterating caller
  }

  get result(): Promise<GenerationResult> {
    if (!this.#started) this.#drain().catch(() => {}); // a failure rejects #result already
    return this.#result;
  }

  [Symbol.asyncIterator](): AsyncIterator<StepEvent> {
    if (this.#started) throw new SvdecodeError('BAD_ARGUMENT', 'a generation can be iterated once');
    this.#started = true;
    return this.#iterate();
  }

  async *#iterate(): AsyncGenerator<StepEvent, void> {
    let finished = false;
    try {
      for (;;) {
        const next = await this.#gen.next();
        if (next.done) {
          finished = true;
          this.#resolve(next.value);
          return;
        }
        yield next.value;
      }
    } catch (error) {
      finished = true;
      this.#reject(error);
      throw error;
    } finally {
      if (!finished) {
        // the consumer stopped early: abort, and let the generation reach its end (which disposes
        // the sessions and reports the tokens so far)
        this.#stop.abort();
        try {
          for (;;) {
            const next = await this.#gen.next();
            if (next.done) {
              this.#resolve(next.value);
              break;
            }
          }
        } catch (error) {
          this.#reject(error);
        }
      }
    }
  }

  async #drain(): Promise<void> {
    for await (const _ of this) {
      // events are dropped; the result carries the tokens
    }
  }
}

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
  const stepper = toStepper(session);
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

export function requireBase(logits: StepLogits, resolved: ResolvedOptions): void {
  if (resolved.steer && !logits.base) {
    throw new SvdecodeError('BAD_ARGUMENT', 'steering needs a PairedSession (base and adapted logits)', {
      hint: 'Pair the base and adapted sessions (pairSessions or the backend paired session), or turn steering off.',
    });
  }
}

/** Tracks the decoded text and stop strings. */
export class TextTracker {
  text = '';
  stopped = false;
  constructor(
    private readonly options: GenerateOptions,
    private readonly stops: readonly string[],
  ) {}

  /** Decodes the new tokens; returns the piece they added. */
  update(tokens: number[]): string | undefined {
    const tokenizer = this.options.tokenizer;
    if (!tokenizer) return undefined;
    const full = tokenizer.decode(tokens, { skipSpecialTokens: true });
    const piece = full.startsWith(this.text) ? full.slice(this.text.length) : full;
    this.text = full;
    for (const stop of this.stops) {
      const at = full.indexOf(stop);
      if (at >= 0) {
        this.text = full.slice(0, at);
        this.stopped = true;
      }
    }
    return piece;
  }
}

async function* generateSequential(
  session: Stepper,
  prompt: number[],
  chain: SamplerChain,
  resolved: ResolvedOptions,
  options: GenerateOptions,
): AsyncGenerator<StepEvent, GenerationResult> {
  const history = [...prompt];
  const tokens: number[] = [];
  const tops = new TopTokens();
  const text = new TextTracker(options, resolved.stopStrings);
  let logprob = 0;
  let finishReason: FinishReason = 'length';
  try {
    let logits = await session.append(prompt);
    requireBase(logits, resolved);
    for (let step = 0; step < resolved.maxNewTokens; step++) {
      if (options.signal?.aborted) {
        finishReason = 'aborted';
        break;
      }
      const ctx: SamplerContext = { adapted: logits.adapted, base: logits.base, history, step };
      const processed = chain.process(ctx);
      const token = chain.selector!.select(processed, ctx);
      const lp = processed[token]! - logSumExp(processed);
      logprob += lp;
      tokens.push(token);
      history.push(token);
      chain.accept(token);
      const event: StepEvent = { step, token, logprob: lp };
      const piece = text.update(tokens);
      if (piece !== undefined) event.text = piece;
      if (resolved.topTokens > 0) {
        event.top = {
          before: tops.list(logits.adapted, resolved.topTokens),
          after: tops.list(processed, resolved.topTokens),
        };
      }
      if (resolved.steer) event.kl = resolved.steer.lastKL;
      yield event;
      if (resolved.eos.has(token)) {
        finishReason = 'eos';
        break;
      }
      if (text.stopped) {
        finishReason = 'stop';
        break;
      }
      if (step + 1 < resolved.maxNewTokens) {
        logits = await session.append([token]);
        if (options.signal?.aborted) {
          finishReason = 'aborted';
          break;
        }
      }
    }
  } finally {
    if (!options.keepSession) session.dispose();
  }
  return {
    tokens,
    ...(options.tokenizer ? { text: text.text } : {}),
    finishReason,
    logprob,
    mu: resolved.steer ? resolved.steer.mu : null,
    strategy: resolved.strategy,
  };
}
