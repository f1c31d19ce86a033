import type { LlamaConfig } from '@svdecode/hf-io';
import * as tf from '@tensorflow/tfjs-core';
import { TfjsCausalLM } from './model.js';
import { initTfjs } from './tfjs-backends.js';
import type { LlamaWeights } from './weights.js';

export interface RandomLlamaOptions {
  vocabSize?: number;
  hiddenSize?: number;
  numLayers?: number;
  numHeads?: number;
  numKvHeads?: number;
  intermediateSize?: number;
  tied?: boolean;
  seed?: number;
  /** Standard deviation of the linear weights (default 0.02, as transformers initialises). */
  std?: number;
}

/** A random-init Llama built in memory (no files), for benchmarks and experiments. */
export async function randomLlama(options: RandomLlamaOptions = {}): Promise<TfjsCausalLM> {
  const backend = await initTfjs();
  const d = options.hiddenSize ?? 512;
  const heads = options.numHeads ?? 8;
  const config: LlamaConfig = {
    modelType: 'llama',
    architecture: 'LlamaForCausalLM',
    vocabSize: options.vocabSize ?? 32000,
    hiddenSize: d,
    intermediateSize: options.intermediateSize ?? 2 * d,
    numLayers: options.numLayers ?? 8,
    numHeads: heads,
    numKvHeads: options.numKvHeads ?? heads,
    headDim: d / heads,
    rmsNormEps: 1e-5,
    ropeTheta: 10000,
    ropeScaling: null,
    maxPositions: 4096,
    tieWordEmbeddings: options.tied ?? false,
    attentionBias: false,
    outputBias: false,
    mlpBias: false,
    bosTokenId: 1,
    eosTokenIds: [2],
    padTokenId: undefined,
  };
  let seed = options.seed ?? 1;
  const std = options.std ?? 0.02;
  const r = (shape: [number, number], scale = std) =>
    tf.randomNormal(shape, 0, scale, 'float32', seed++) as tf.Tensor2D;
  const kv = config.numKvHeads * config.headDim;
  // tied embeddings double as the LM head, so they take the small init; untied ones unit variance
  const embed = r([config.vocabSize, d], config.tieWordEmbeddings ? std : 1);
  const weights: LlamaWeights = {
    embed,
    norm: tf.ones([d]),
    lmHead: config.tieWordEmbeddings ? (tf.transpose(embed) as tf.Tensor2D) : r([d, config.vocabSize]),
    layers: Array.from({ length: config.numLayers }, () => ({
      inputNorm: tf.ones([d]) as tf.Tensor1D,
      postNorm: tf.ones([d]) as tf.Tensor1D,
      // stored [in, out], as loadLlamaWeights does
      q: r([d, d]),
      k: r([d, kv]),
      v: r([d, kv]),
      o: r([d, d]),
      gate: r([d, config.intermediateSize]),
      up: r([d, config.intermediateSize]),
      down: r([config.intermediateSize, d]),
    })),
  } as LlamaWeights;
  return new TfjsCausalLM(config, weights, {
    name: `random-llama-d${d}-l${config.numLayers}`,
    backend: backend.name,
  });
}

/** Number of parameters of a model's weights (tied embeddings counted once). */
export function parameterCount(model: TfjsCausalLM): number {
  const seen = new Set<tf.Tensor>([model.weights.embed, model.weights.norm]);
  if (!model.config.tieWordEmbeddings) seen.add(model.weights.lmHead);
  for (const layer of model.weights.layers) for (const t of Object.values(layer)) seen.add(t as tf.Tensor);
  let n = 0;
  for (const t of seen) n += t.size;
  return n;
}
