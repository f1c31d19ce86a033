import { SvdecodeError } from '@svdecode/core';
import { checkLoaded, type PrefixTuningConfig, parsePrefixTuningConfig, seededValues } from '@svdecode/peft';
import * as tf from '@tensorflow/tfjs-core';
import type { Adapter, AdapterContext, AdapterPrefix, AdapterType } from './adapter.js';

/**
 * P-tuning v2 (deep prompts), saved as PEFT PREFIX_TUNING: trainable keys and values for
 * `num_virtual_tokens` positions at every layer. With `prefix_projection` they come from an
 * embedding through a 2-layer MLP (tanh, hidden `encoder_hidden_size`, 128 in the paper); either
 * way the saved tensor is `prompt_embeddings` [nvt, num_layers * 2 * token_dim].
 */
class PrefixAdapter implements Adapter {
  readonly type = 'PREFIX_TUNING';
  training = false;
  readonly #vars: tf.Variable[];
  /** [nvt, layers * 2 * tokenDim] directly, or the MLP's parts */
  readonly #direct?: tf.Variable;
  readonly #mlp?: {
    embedding: tf.Variable;
    w1: tf.Variable;
    b1: tf.Variable;
    w2: tf.Variable;
    b2: tf.Variable;
  };

  constructor(
    readonly config: PrefixTuningConfig,
    private readonly ctx: AdapterContext,
  ) {
    const c = ctx.model.config;
    const kvDim = c.numKvHeads * c.headDim;
    if (config.token_dim !== kvDim || config.num_layers !== c.numLayers) {
      throw new SvdecodeError(
        'WEIGHT_SHAPE_MISMATCH',
        `prefix adapter has token_dim ${config.token_dim} x ${config.num_layers} layers; this model needs ${kvDim} (kv heads x head dim) x ${c.numLayers}`,
        { details: { field: config.token_dim !== kvDim ? 'token_dim' : 'num_layers' } },
      );
    }
    const n = config.num_virtual_tokens;
    const out = c.numLayers * 2 * kvDim;
    const s = ctx.seed;
    if (config.prefix_projection) {
      const h = config.encoder_hidden_size;
      const lin = (rows: number, cols: number, seed: number) =>
        tf.variable(
          tf.tensor2d(seededValues(rows * cols, seed, 'uniform', 1 / Math.sqrt(rows)), [rows, cols]),
          true,
        );
      this.#mlp = {
        embedding: tf.variable(tf.tensor2d(seededValues(n * kvDim, s + 1, 'normal', 1), [n, kvDim]), true),
        w1: lin(kvDim, h, s + 2),
        b1: tf.variable(tf.zeros([h]), true),
        w2: lin(h, out, s + 3),
        b2: tf.variable(tf.zeros([out]), true),
      };
      this.#vars = Object.values(this.#mlp);
    } else {
      this.#direct = tf.variable(tf.tensor2d(seededValues(n * out, s + 4, 'normal', 1), [n, out]), true);
      this.#vars = [this.#direct];
    }
  }

  get numVirtualTokens(): number {
    return this.config.num_virtual_tokens;
  }

  get variables(): tf.Variable[] {
    return this.#vars;
  }

  /** [nvt, layers * 2 * tokenDim] */
  #embeddings(): tf.Tensor2D {
    if (this.#direct) return this.#direct as unknown as tf.Tensor2D;
    const m = this.#mlp!;
    return tf.add(tf.matMul(tf.tanh(tf.add(tf.matMul(m.embedding, m.w1), m.b1)), m.w2), m.b2) as tf.Tensor2D;
  }

  prefix(): AdapterPrefix {
    const c = this.ctx.model.config;
    const n = this.config.num_virtual_tokens;
    const width = this.config.token_dim;
    const all = this.#embeddings();
    const layers = [];
    // PEFT lays each position out as [layer0 key, layer0 value, layer1 key, ...], each kvHeads x headDim
    for (let l = 0; l < c.numLayers; l++) {
      const part = (j: number) =>
        tf.transpose(
          tf.reshape(tf.slice(all, [0, j * width], [n, width]), [n, c.numKvHeads, c.headDim]),
          [1, 0, 2],
        ) as tf.Tensor3D;
      layers.push({ k: part(2 * l), v: part(2 * l + 1) });
    }
    return { kind: 'kv', layers };
  }

  stateDict(): Map<string, tf.Tensor> {
    return new Map([['prompt_embeddings', tf.tidy(() => tf.clone(this.#embeddings()))]]);
  }

  loadStateDict(
    tensors: ReadonlyMap<string, { shape: number[]; values: Float32Array }>,
    source: string,
  ): void {
    const shape = [this.config.num_virtual_tokens, this.config.num_layers * 2 * this.config.token_dim];
    const values = checkLoaded(tensors, 'prompt_embeddings', shape, source);
    if (!this.#direct) {
      throw new SvdecodeError(
        'BAD_ARGUMENT',
        `${source}: a saved prefix holds the MLP's output only; load it with prefix_projection false`,
        {
          hint: 'loadAdapter does this for you; the MLP exists only while training.',
        },
      );
    }
    this.#direct.assign(tf.tensor2d(values, shape as [number, number]));
  }

  dispose(): void {
    tf.dispose(this.#vars);
  }
}

export const prefixTuningType: AdapterType<PrefixTuningConfig> = {
  type: 'PREFIX_TUNING',
  parseConfig: parsePrefixTuningConfig,
  create(config, ctx) {
    const c = ctx.model.config;
    return new PrefixAdapter(
      {
        ...config,
        token_dim: config.token_dim || c.numKvHeads * c.headDim,
        num_layers: config.num_layers || c.numLayers,
        num_attention_heads: config.num_attention_heads || c.numKvHeads,
      },
      ctx,
    );
  },
};
