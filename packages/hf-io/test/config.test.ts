import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SvdecodeError } from '@svdecode/core';
import { describe, expect, it } from 'vitest';
import { hfConfig, parseGenerationConfig, parseLlamaConfig } from '../src/index.js';
import { HF_FIXTURES } from './helpers.js';

const fixtureConfig = async (name: string) =>
  JSON.parse(await readFile(join(HF_FIXTURES, name, 'config.json'), 'utf8')) as Record<string, unknown>;

function errorOf(fn: () => unknown): SvdecodeError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SvdecodeError) return error;
    throw error;
  }
  throw new Error('expected an error');
}

describe('parseLlamaConfig', () => {
  it('reads a transformers 5 Llama config (rope_parameters)', async () => {
    const c = parseLlamaConfig(await fixtureConfig('llama-gqa'));
    expect(c).toMatchObject({
      modelType: 'llama',
      architecture: 'LlamaForCausalLM',
      vocabSize: 96,
      hiddenSize: 32,
      intermediateSize: 64,
      numLayers: 2,
      numHeads: 4,
      numKvHeads: 2,
      headDim: 8,
      rmsNormEps: 1e-5,
      ropeTheta: 10000,
      ropeScaling: null,
      tieWordEmbeddings: false,
      attentionBias: false,
      bosTokenId: 1,
      eosTokenIds: [2],
      padTokenId: 0,
    });
  });

  it('reads the Llama 3 rope scaling rule and an explicit head_dim', async () => {
    expect(parseLlamaConfig(await fixtureConfig('llama3-rope-scaling')).ropeScaling).toEqual({
      type: 'llama3',
      factor: 8,
      lowFreqFactor: 1,
      highFreqFactor: 4,
      originalMaxPositions: 8,
    });
    const c = parseLlamaConfig(await fixtureConfig('llama-bf16-head-dim'));
    expect(c.headDim).toBe(16);
    expect(c.numKvHeads).toBe(1);
  });

  it('reads Qwen2: q/k/v biases, tied embeddings', async () => {
    const c = parseLlamaConfig(await fixtureConfig('qwen2-tied-sharded'));
    expect(c).toMatchObject({
      modelType: 'qwen2',
      attentionBias: true,
      outputBias: false,
      tieWordEmbeddings: true,
      ropeTheta: 1e6,
    });
  });

  it('reads the transformers 4 form (rope_theta, rope_scaling) and fills defaults', () => {
    const c = parseLlamaConfig({
      model_type: 'llama',
      vocab_size: 128256,
      hidden_size: 2048,
      intermediate_size: 8192,
      num_hidden_layers: 16,
      num_attention_heads: 32,
      num_key_value_heads: 8,
      rope_theta: 500000,
      rope_scaling: { rope_type: 'llama3', factor: 32, original_max_position_embeddings: 8192 },
      eos_token_id: [128001, 128008, 128009],
      some_future_key: { ignored: true },
    });
    expect(c.headDim).toBe(64);
    expect(c.ropeTheta).toBe(500000);
    expect(c.ropeScaling).toEqual({
      type: 'llama3',
      factor: 32,
      lowFreqFactor: 1,
      highFreqFactor: 4,
      originalMaxPositions: 8192,
    });
    expect(c.eosTokenIds).toEqual([128001, 128008, 128009]);
    expect(c.rmsNormEps).toBe(1e-6);
    expect(c.tieWordEmbeddings).toBe(false);
  });

  const base = {
    model_type: 'llama',
    vocab_size: 10,
    hidden_size: 8,
    intermediate_size: 16,
    num_hidden_layers: 1,
    num_attention_heads: 2,
  };
  it.each([
    ['hidden_size', { hidden_size: '8' }],
    ['vocab_size', { vocab_size: 0 }],
    ['num_hidden_layers', { num_hidden_layers: 1.5 }],
    ['intermediate_size', { intermediate_size: undefined }],
    ['num_key_value_heads', { num_key_value_heads: 3 }],
    ['num_attention_heads', { num_attention_heads: 3 }],
    ['rms_norm_eps', { rms_norm_eps: -1 }],
    ['rope_theta', { rope_theta: 'big' }],
    ['rope_scaling.rope_type', { rope_scaling: { rope_type: 'yarn', factor: 4 } }],
    ['rope_scaling.factor', { rope_scaling: { rope_type: 'linear' } }],
    ['hidden_act', { hidden_act: 'gelu' }],
    ['tie_word_embeddings', { tie_word_embeddings: 'yes' }],
    ['eos_token_id', { eos_token_id: [1, -2] }],
    ['architectures', { architectures: 'LlamaForCausalLM' }],
  ])('names the bad field %s', (field, patch) => {
    const error = errorOf(() => parseLlamaConfig({ ...base, ...patch }, '/m/config.json'));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.details.field).toBe(field);
    expect(error.message).toContain(`"${field}"`);
    expect(error.message).toContain('/m/config.json');
  });

  it('refuses other model types and architectures with their own codes', () => {
    expect(errorOf(() => parseLlamaConfig({ ...base, model_type: 'gpt2' })).code).toBe(
      'UNSUPPORTED_MODEL_TYPE',
    );
    expect(
      errorOf(() => parseLlamaConfig({ ...base, architectures: ['LlamaForSequenceClassification'] })).code,
    ).toBe('UNSUPPORTED_ARCHITECTURE');
    expect(errorOf(() => parseLlamaConfig([1])).code).toBe('CONFIG_INVALID');
  });
});

describe('parseGenerationConfig', () => {
  it('maps known keys to camelCase and ignores the rest', () => {
    expect(
      parseGenerationConfig({
        bos_token_id: 1,
        eos_token_id: [2, 3],
        do_sample: true,
        top_p: 0.9,
        top_k: 50,
        temperature: 0.7,
        foo: 1,
      }),
    ).toEqual({ bosTokenId: 1, eosTokenIds: [2, 3], doSample: true, topP: 0.9, topK: 50, temperature: 0.7 });
    expect(errorOf(() => parseGenerationConfig({ top_p: 2 })).details.field).toBe('top_p');
  });
});

describe('hfConfig', () => {
  it('writes config.json back so that parseLlamaConfig reads the same config', async () => {
    for (const name of ['llama-gqa', 'llama3-rope-scaling', 'llama-bf16-head-dim', 'qwen2-tied-sharded']) {
      const c = parseLlamaConfig(await fixtureConfig(name));
      expect(parseLlamaConfig(hfConfig(c))).toEqual(c);
    }
  });
});
