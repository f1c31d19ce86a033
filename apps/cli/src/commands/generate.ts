import { SvdecodeError, steeringSession } from '@svdecode/core';
import { generate, type Strategy } from '@svdecode/sampler';
import { interruptSignal } from '../interrupt.js';
import { type BackendChoice, openModel, requirePaired } from '../models.js';
import type { CommonFlags } from '../options.js';
import { resolveSteering, type SteeringFlags } from '../steering-source.js';

export interface GenerateFlags extends CommonFlags, SteeringFlags {
  model: string;
  adapter?: string;
  prompt: string;
  strategy: Strategy;
  numBeams: number;
  topK?: number;
  topP?: number;
  temperature: number;
  seed: number;
  maxNewTokens: number;
  backend: BackendChoice;
  dtype?: string;
  /** false with --no-lazy-base */
  lazyBase: boolean;
}

/** Decodes one prompt, plain or steered; streams the text, or prints one JSON object with --json. */
export async function generateCommand(flags: GenerateFlags): Promise<void> {
  const opened = await openModel(flags);
  try {
    const steering = await resolveSteering(flags, opened.provenance);
    const { tokenizer } = opened;
    // the tokenizer's own rule: BOS first where the model was trained with it
    const promptIds = tokenizer.encode(flags.prompt);
    const session = steering
      ? steeringSession(requirePaired(opened, 'steering'), { lazyBase: flags.lazyBase })
      : opened.model.createSession();
    const stream = generate(session, promptIds, {
      strategy: flags.strategy,
      numBeams: flags.numBeams,
      topK: flags.topK,
      topP: flags.topP,
      temperature: flags.temperature,
      seed: flags.seed,
      maxNewTokens: flags.maxNewTokens,
      eosTokenIds: tokenizer.eosTokenIds,
      tokenizer,
      steer: steering ? { mu: steering.mu, alpha: steering.alpha } : false,
      signal: interruptSignal(),
    });
    if (!flags.json && flags.strategy !== 'beam') {
      for await (const event of stream) process.stdout.write(event.text ?? '');
      process.stdout.write('\n');
    }
    const result = await stream.result;
    if (flags.json) {
      process.stdout.write(
        `${JSON.stringify({
          prompt: flags.prompt,
          promptTokens: promptIds,
          tokens: result.tokens,
          text: result.text ?? tokenizer.decode(result.tokens, { skipSpecialTokens: true }),
          finishReason: result.finishReason,
          strategy: result.strategy,
          mu: result.mu,
          alpha: steering?.alpha ?? null,
          steering: steering?.source ?? null,
          backend: opened.backend,
          baseSkipped: result.baseSkipped,
        })}\n`,
      );
    } else if (flags.strategy === 'beam') {
      process.stdout.write(`${result.text ?? ''}\n`);
    }
    if (result.finishReason === 'aborted') throw new SvdecodeError('ABORTED', 'generation interrupted');
  } finally {
    opened.dispose();
  }
}
