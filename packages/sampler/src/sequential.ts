import { logSumExp } from '@svdecode/kl-gradient';
import type { SamplerChain } from './chain.js';
import { type FinishReason, type GenerationResult, type StepEvent, TopTokens } from './events.js';
import { LazyBase, requireBase, type SteppableSession } from './lazy-base.js';
import type { GenerateOptions, ResolvedOptions } from './options.js';
import type { SamplerContext } from './stage.js';
import { TextTracker } from './text.js';

/** Greedy and seeded sampling: one token per step from the chain's selector. */
export async function* generateSequential(
  session: SteppableSession,
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
  // lazy base decoding: the base model runs only on the steps whose steered distribution needs it
  const lazy = new LazyBase(
    resolved.steer !== undefined && resolved.lazyBase !== false && session.appendAdapted !== undefined,
    session.costs,
    // mu = 0 never needs the base: skip it from the prompt on
    { always: resolved.lazyBase === 'always' || resolved.steer?.mu === 0 },
  );
  try {
    let logits = await lazy.append(session, prompt);
    if (!lazy.active) requireBase(logits, resolved);
    for (let step = 0; step < resolved.maxNewTokens; step++) {
      if (options.signal?.aborted) {
        finishReason = 'aborted';
        break;
      }
      logits = await lazy.complete(session, logits, resolved);
      const ctx: SamplerContext = {
        adapted: logits.adapted,
        base: logits.base,
        history,
        step,
        baseSkipped: lazy.active && !logits.base,
        steered: logits.steered,
      };
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
      if (resolved.steer) {
        event.baseRan = logits.base !== undefined;
        if (event.baseRan) event.kl = resolved.steer.lastKL;
      }
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
        logits = await lazy.append(session, [token]);
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
    baseSkipped: resolved.steer ? lazy.skipped / Math.max(lazy.steps, 1) : null,
  };
}
