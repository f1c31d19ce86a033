import { SvdecodeError } from '@svdecode/core';
import { checkLoaded, type PromptTuningConfig, parsePromptTuningConfig, seededValues } from '@svdecode/peft';
import * as tf from '@tensorflow/tfjs-core';
import type { Adapter, AdapterContext, AdapterPrefix, AdapterType } from './adapter.js';

/** Virtual token embeddings [numVirtualTokens, hidden] prepended to the input embeddings. */
class PromptEmbeddingAdapter implements Adapter {
  readonly type: string;
  training = false;
  readonly prompt: tf.Variable;

  constructor(
    readonly config: PromptTuningConfig,
    ctx: AdapterContext,
  ) {
    this.type = config.peft_type;
    const { model } = ctx;
    const d = model.config.hiddenSize;
    if (config.token_dim !== d) {
      throw new SvdecodeError(
        'WEIGHT_SHAPE_MISMATCH',
        `prompt adapter token_dim ${config.token_dim} does not match the model's hidden size ${d}`,
        {
          details: { field: 'token_dim' },
        },
      );
    }
    const n = config.num_virtual_tokens;
    this.prompt = tf.variable(initialPrompt(config, ctx, n, d), true);
  }

  get numVirtualTokens(): number {
    return this.config.num_virtual_tokens;
  }

  get variables(): tf.Variable[] {
    return [this.prompt];
  }

  prefix(): AdapterPrefix {
    return { kind: 'embeddings', embeds: this.prompt as unknown as tf.Tensor2D };
  }

  stateDict(): Map<string, tf.Tensor> {
    return new Map([['prompt_embeddings', tf.clone(this.prompt)]]);
  }

  loadStateDict(
    tensors: ReadonlyMap<string, { shape: number[]; values: Float32Array }>,
    source: string,
  ): void {
    this.prompt.assign(
      tf.tensor2d(
        checkLoaded(tensors, 'prompt_embeddings', this.prompt.shape, source),
        this.prompt.shape as [number, number],
      ),
    );
  }

  dispose(): void {
    this.prompt.dispose();
  }
}

/** PEFT's three initialisations: random N(0, 1), embeddings of a text, or embeddings of random vocabulary tokens. */
function initialPrompt(config: PromptTuningConfig, ctx: AdapterContext, n: number, d: number): tf.Tensor2D {
  const embed = ctx.model.weights.embed;
  const rows = (ids: number[]) => tf.gather(embed, tf.tensor1d(ids, 'int32')) as tf.Tensor2D;
  if (config.prompt_tuning_init === 'TEXT') {
    if (!ctx.tokenizer || !config.prompt_tuning_init_text) {
      throw new SvdecodeError(
        'CONFIG_INVALID',
        'prompt_tuning_init TEXT needs prompt_tuning_init_text and a tokenizer',
        {
          details: { field: 'prompt_tuning_init_text' },
        },
      );
    }
    const ids = ctx.tokenizer.encode(config.prompt_tuning_init_text, { addSpecialTokens: false });
    if (ids.length === 0)
      throw new SvdecodeError('CONFIG_INVALID', 'prompt_tuning_init_text encodes to no tokens');
    // as PEFT: repeat the text's tokens to fill, then truncate
    return tf.tidy(() => rows(Array.from({ length: n }, (_, i) => ids[i % ids.length]!)));
  }
  if (config.prompt_tuning_init === 'SAMPLE_VOCAB') {
    const u = seededValues(n, ctx.seed + 17, 'uniform', 0.5);
    return tf.tidy(() =>
      rows(Array.from(u, (x) => Math.floor((x + 0.5) * ctx.model.vocabSize) % ctx.model.vocabSize)),
    );
  }
  return tf.tensor2d(seededValues(n * d, ctx.seed + 31, 'normal', 1), [n, d]);
}

function create(config: PromptTuningConfig, ctx: AdapterContext): Adapter {
  const filled = { ...config, token_dim: config.token_dim || ctx.model.config.hiddenSize };
  return new PromptEmbeddingAdapter(filled, ctx);
}

export const promptTuningType: AdapterType<PromptTuningConfig> = {
  type: 'PROMPT_TUNING',
  parseConfig: parsePromptTuningConfig('PROMPT_TUNING'),
  create,
};

/**
 * PEFT P_TUNING adapters, for inference: their saved `prompt_embeddings` are the prompt encoder's
 * output, used like prompt tuning. (Training the encoder itself is not offered; P-tuning v2 is
 * PREFIX_TUNING.)
 */
export const pTuningType: AdapterType<PromptTuningConfig> = {
  type: 'P_TUNING',
  parseConfig: parsePromptTuningConfig('P_TUNING'),
  create,
};
