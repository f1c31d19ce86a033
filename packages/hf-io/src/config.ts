// Over 300 lines on purpose: every config.json field of the supported architectures with its
// validation and error hint, in one place a new architecture is added to.
import { SvdecodeError } from '@svdecode/core';

/** Model families that share the Llama layout (RMSNorm, RoPE, GQA, SwiGLU). */
export const SUPPORTED_MODEL_TYPES = ['llama', 'qwen2', 'mistral'] as const;
export const SUPPORTED_ARCHITECTURES = [
  'LlamaForCausalLM',
  'Qwen2ForCausalLM',
  'MistralForCausalLM',
] as const;

export type RopeScaling =
  | {
      type: 'llama3';
      factor: number;
      lowFreqFactor: number;
      highFreqFactor: number;
      originalMaxPositions: number;
    }
  | { type: 'linear'; factor: number };

/** A validated Llama-family config.json, in camelCase. */
export interface LlamaConfig {
  modelType: (typeof SUPPORTED_MODEL_TYPES)[number];
  architecture: string | undefined;
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling: RopeScaling | null;
  maxPositions: number;
  tieWordEmbeddings: boolean;
  /** q/k/v projections carry biases (Qwen2, or `attention_bias: true`). */
  attentionBias: boolean;
  /** The o_proj and MLP projections carry biases (`mlp_bias`/`attention_bias` in some Llama variants). */
  outputBias: boolean;
  mlpBias: boolean;
  bosTokenId: number | undefined;
  eosTokenIds: number[];
  padTokenId: number | undefined;
}

function invalid(source: string, field: string, message: string, value: unknown): never {
  throw new SvdecodeError(
    'CONFIG_INVALID',
    `${source}: field "${field}" ${message} (got ${JSON.stringify(value)})`,
    {
      details: { file: source, field, value },
    },
  );
}

/**
 * Validates a parsed config.json of a Llama-family model. Errors name the file and the bad field.
 * Accepts both the transformers 4 form (`rope_theta`, `rope_scaling`) and the 5 form (`rope_parameters`).
 */
export function parseLlamaConfig(json: unknown, source = 'config.json'): LlamaConfig {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new SvdecodeError('CONFIG_INVALID', `${source}: expected a JSON object`, {
      details: { file: source },
    });
  }
  const c = json as Record<string, unknown>;
  const modelType = c.model_type;
  if (typeof modelType !== 'string') invalid(source, 'model_type', 'must be a string', modelType);
  if (!(SUPPORTED_MODEL_TYPES as readonly string[]).includes(modelType)) {
    throw new SvdecodeError(
      'UNSUPPORTED_MODEL_TYPE',
      `${source}: model_type "${modelType}" is not supported`,
      {
        details: { file: source, field: 'model_type', value: modelType },
      },
    );
  }
  let architecture: string | undefined;
  if (c.architectures !== undefined) {
    if (
      !Array.isArray(c.architectures) ||
      c.architectures.length === 0 ||
      typeof c.architectures[0] !== 'string'
    ) {
      invalid(source, 'architectures', 'must be a non-empty list of class names', c.architectures);
    }
    architecture = c.architectures[0] as string;
    if (!(SUPPORTED_ARCHITECTURES as readonly string[]).includes(architecture)) {
      throw new SvdecodeError(
        'UNSUPPORTED_ARCHITECTURE',
        `${source}: architecture "${architecture}" is not supported`,
        {
          details: { file: source, field: 'architectures', value: c.architectures },
        },
      );
    }
  }

  const posInt = (field: string, fallback?: number): number => {
    const v = c[field] ?? fallback;
    if (!Number.isSafeInteger(v) || (v as number) <= 0)
      invalid(source, field, 'must be a positive integer', c[field]);
    return v as number;
  };
  const posNum = (field: string, value: unknown): number => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
      invalid(source, field, 'must be a positive number', value);
    return value;
  };
  const optionalId = (field: string): number | undefined => {
    const v = c[field];
    if (v === undefined || v === null) return undefined;
    if (!Number.isSafeInteger(v) || (v as number) < 0) invalid(source, field, 'must be a token id', v);
    return v as number;
  };

  const hiddenSize = posInt('hidden_size');
  const numHeads = posInt('num_attention_heads');
  const numKvHeads = posInt('num_key_value_heads', numHeads);
  if (numHeads % numKvHeads !== 0) {
    invalid(source, 'num_key_value_heads', `must divide num_attention_heads (${numHeads})`, numKvHeads);
  }
  if (c.head_dim === undefined && hiddenSize % numHeads !== 0) {
    invalid(
      source,
      'num_attention_heads',
      `must divide hidden_size (${hiddenSize}) when head_dim is absent`,
      numHeads,
    );
  }
  const headDim = posInt('head_dim', hiddenSize / numHeads);
  const hiddenAct = c.hidden_act ?? 'silu';
  if (hiddenAct !== 'silu') invalid(source, 'hidden_act', 'must be "silu" for the Llama layout', hiddenAct);

  const rope = (c.rope_parameters ?? null) as Record<string, unknown> | null;
  if (rope !== null && (typeof rope !== 'object' || Array.isArray(rope)))
    invalid(source, 'rope_parameters', 'must be an object', rope);
  const ropeTheta = posNum(
    rope?.rope_theta !== undefined ? 'rope_parameters.rope_theta' : 'rope_theta',
    rope?.rope_theta ?? c.rope_theta ?? 10000,
  );
  const scalingField = rope ? 'rope_parameters' : 'rope_scaling';
  const ropeScaling = parseRopeScaling(
    rope ?? (c.rope_scaling as Record<string, unknown> | null | undefined) ?? null,
    source,
    scalingField,
  );

  const eos = c.eos_token_id;
  let eosTokenIds: number[] = [];
  if (Array.isArray(eos)) {
    if (!eos.every((e) => Number.isSafeInteger(e) && e >= 0))
      invalid(source, 'eos_token_id', 'must be a token id or a list of them', eos);
    eosTokenIds = eos as number[];
  } else if (eos !== undefined && eos !== null) {
    eosTokenIds = [optionalId('eos_token_id')!];
  }

  const bool = (field: string, fallback: boolean): boolean => {
    const v = c[field] ?? fallback;
    if (typeof v !== 'boolean') invalid(source, field, 'must be true or false', v);
    return v;
  };
  const attentionBiasFlag = bool('attention_bias', false);
  const mlpBias = bool('mlp_bias', false);

  return {
    modelType: modelType as LlamaConfig['modelType'],
    architecture,
    vocabSize: posInt('vocab_size'),
    hiddenSize,
    intermediateSize: posInt('intermediate_size'),
    numLayers: posInt('num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    rmsNormEps: posNum('rms_norm_eps', c.rms_norm_eps ?? 1e-6),
    ropeTheta,
    ropeScaling,
    maxPositions: posInt('max_position_embeddings', 2048),
    tieWordEmbeddings: bool('tie_word_embeddings', false),
    attentionBias: modelType === 'qwen2' || attentionBiasFlag,
    // Llama's attention_bias also adds a bias to o_proj; Qwen2 has none there.
    outputBias: modelType !== 'qwen2' && attentionBiasFlag,
    mlpBias,
    bosTokenId: optionalId('bos_token_id'),
    eosTokenIds,
    padTokenId: optionalId('pad_token_id'),
  };
}

function parseRopeScaling(
  raw: Record<string, unknown> | null,
  source: string,
  field: string,
): RopeScaling | null {
  if (raw === null) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) invalid(source, field, 'must be an object or null', raw);
  const type = raw.rope_type ?? raw.type ?? 'default';
  const num = (key: string, fallback?: number): number => {
    const v = raw[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      invalid(source, `${field}.${key}`, 'must be a positive number', raw[key]);
    return v;
  };
  switch (type) {
    case 'default':
      return null;
    case 'linear':
      return { type: 'linear', factor: num('factor') };
    case 'llama3':
      return {
        type: 'llama3',
        factor: num('factor'),
        lowFreqFactor: num('low_freq_factor', 1),
        highFreqFactor: num('high_freq_factor', 4),
        originalMaxPositions: num('original_max_position_embeddings', 8192),
      };
    default:
      return invalid(source, `${field}.rope_type`, 'must be "default", "linear" or "llama3"', type);
  }
}

/** The optional generation_config.json, in camelCase; unknown keys are ignored. */
export interface GenerationConfig {
  bosTokenId?: number;
  eosTokenIds?: number[];
  padTokenId?: number;
  maxNewTokens?: number;
  doSample?: boolean;
  temperature?: number;
  topK?: number;
  topP?: number;
  repetitionPenalty?: number;
}

export function parseGenerationConfig(json: unknown, source = 'generation_config.json'): GenerationConfig {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new SvdecodeError('CONFIG_INVALID', `${source}: expected a JSON object`, {
      details: { file: source },
    });
  }
  const c = json as Record<string, unknown>;
  const out: GenerationConfig = {};
  const num = (field: string, check: (v: number) => boolean): number | undefined => {
    const v = c[field];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !check(v)) invalid(source, field, 'has an invalid value', v);
    return v;
  };
  const isId = (v: number) => Number.isSafeInteger(v) && v >= 0;
  const assign = <K extends keyof GenerationConfig>(key: K, value: GenerationConfig[K] | undefined) => {
    if (value !== undefined) out[key] = value;
  };
  assign('bosTokenId', num('bos_token_id', isId));
  assign('padTokenId', num('pad_token_id', isId));
  const eos = c.eos_token_id;
  if (Array.isArray(eos)) {
    if (!eos.every((e) => typeof e === 'number' && isId(e)))
      invalid(source, 'eos_token_id', 'must be token ids', eos);
    out.eosTokenIds = eos as number[];
  } else {
    const id = num('eos_token_id', isId);
    if (id !== undefined) out.eosTokenIds = [id];
  }
  assign(
    'maxNewTokens',
    num('max_new_tokens', (v) => Number.isSafeInteger(v) && v > 0),
  );
  if (typeof c.do_sample === 'boolean') out.doSample = c.do_sample;
  assign(
    'temperature',
    num('temperature', (v) => v >= 0),
  );
  assign(
    'topK',
    num('top_k', (v) => Number.isSafeInteger(v) && v >= 0),
  );
  assign(
    'topP',
    num('top_p', (v) => v > 0 && v <= 1),
  );
  assign(
    'repetitionPenalty',
    num('repetition_penalty', (v) => v > 0),
  );
  return out;
}

/** config.json in the Hugging Face layout, from a validated config (the inverse of parseLlamaConfig). */
export function hfConfig(c: LlamaConfig): Record<string, unknown> {
  return {
    architectures: [
      c.modelType === 'qwen2'
        ? 'Qwen2ForCausalLM'
        : c.modelType === 'mistral'
          ? 'MistralForCausalLM'
          : 'LlamaForCausalLM',
    ],
    model_type: c.modelType,
    vocab_size: c.vocabSize,
    hidden_size: c.hiddenSize,
    intermediate_size: c.intermediateSize,
    num_hidden_layers: c.numLayers,
    num_attention_heads: c.numHeads,
    num_key_value_heads: c.numKvHeads,
    head_dim: c.headDim,
    hidden_act: 'silu',
    rms_norm_eps: c.rmsNormEps,
    rope_theta: c.ropeTheta,
    rope_scaling: c.ropeScaling
      ? c.ropeScaling.type === 'linear'
        ? { rope_type: 'linear', factor: c.ropeScaling.factor }
        : {
            rope_type: 'llama3',
            factor: c.ropeScaling.factor,
            low_freq_factor: c.ropeScaling.lowFreqFactor,
            high_freq_factor: c.ropeScaling.highFreqFactor,
            original_max_position_embeddings: c.ropeScaling.originalMaxPositions,
          }
      : null,
    max_position_embeddings: c.maxPositions,
    tie_word_embeddings: c.tieWordEmbeddings,
    attention_bias: c.modelType !== 'qwen2' && c.outputBias,
    bos_token_id: c.bosTokenId ?? null,
    eos_token_id: c.eosTokenIds.length === 1 ? c.eosTokenIds[0] : c.eosTokenIds,
    pad_token_id: c.padTokenId ?? null,
    torch_dtype: 'float32',
    use_cache: true,
  };
}
