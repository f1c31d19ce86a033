import type { CausalLM, DecodeSession, PairedSession, Tokenizer } from '@svdecode/core';
import { SvdecodeError } from '@svdecode/core';
import { generate, type Strategy } from '@svdecode/sampler';
import { encodePrompt } from '../encode.js';
import { interruptSignal } from '../interrupt.js';
import { loadOnnx, loadTfjs, type Provenance } from '../models.js';
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
  backend: 'tfjs' | 'onnx';
}

interface Decoding {
  tokenizer: Tokenizer;
  provenance: Provenance;
  plain: () => DecodeSession;
  paired: () => PairedSession;
  dispose: () => void;
}

async function openDecoding(flags: GenerateFlags): Promise<Decoding> {
  if (flags.backend === 'onnx') {
    if (flags.adapter)
      throw new SvdecodeError('BAD_ARGUMENT', '--adapter does not apply to --backend onnx', {
        hint: 'Export the model with its adapter (svdecode export-onnx --adapter <dir> --paired) and pass that directory as --model.',
      });
    const { model, tokenizer, provenance } = await loadOnnx(flags.model, { quiet: flags.quiet });
    return {
      tokenizer,
      provenance,
      plain: () => model.createSession(),
      paired: () => model.createPairedSession(),
      dispose: () => model.dispose(),
    };
  }
  const { model, tokenizer, adapted, provenance } = await loadTfjs(flags.model, flags.adapter);
  const plainModel: CausalLM = adapted ?? model;
  return {
    tokenizer,
    provenance,
    plain: () => plainModel.createSession(),
    paired: () => {
      if (!adapted)
        throw new SvdecodeError('BAD_ARGUMENT', 'steering needs an adapter (--adapter <dir>)', {
          hint: 'SVDecode steers the adapted model away from the base model; pass the adapter, or --no-steer.',
        });
      return adapted.createPairedSession();
    },
    dispose: () => {
      adapted?.dispose();
      model.dispose();
    },
  };
}

/** Decodes one prompt, plain or steered; streams the text, or prints one JSON object with --json. */
export async function generateCommand(flags: GenerateFlags): Promise<void> {
  const decoding = await openDecoding(flags);
  try {
    const steering = await resolveSteering(flags, decoding.provenance);
    const { tokenizer } = decoding;
    const promptIds = encodePrompt(tokenizer, flags.prompt);
    const session = steering ? decoding.paired() : decoding.plain();
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
          backend: flags.backend,
        })}\n`,
      );
    } else if (flags.strategy === 'beam') {
      process.stdout.write(`${result.text ?? ''}\n`);
    }
    if (result.finishReason === 'aborted') throw new SvdecodeError('ABORTED', 'generation interrupted');
  } finally {
    decoding.dispose();
  }
}
