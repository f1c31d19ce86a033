import { basename, resolve } from 'node:path';
import { SvdecodeError } from '@svdecode/core';
import {
  type CheckpointWeights,
  type LinearAdapter,
  type LlamaConfig,
  linearDeltasOf,
  openCheckpointWeights,
  parseLinearModule,
  QUANT_BLOCK,
} from '@svdecode/hf-io';
import { type GgufTensor, type GgufTensorType, type GgufValue, gguf, writeGguf } from './gguf-file.js';
import { GGUF_LINEAR, llamaTensors, permuteForRope } from './llama-names.js';
import { tokenizerMetadata } from './tokenizer-metadata.js';

export interface ExportGgufOptions {
  /**
   * Element type of the weight matrices (default F32): F16, or llama.cpp's block quantizations
   * Q8_0 and Q4_0 (blocks of 32 along each row, float16 scales); norms stay F32.
   */
  dtype?: GgufTensorType;
  /**
   * For Q8_0 / Q4_0: the type of a matrix whose rows do not divide into blocks of 32 (F16 or F32),
   * as llama.cpp's quantizer falls back for such tensors. Default: none, such a model is refused
   * (QUANT_SHAPE) naming the first matrix.
   */
  fallback?: 'F16' | 'F32';
  /** Directory with the tokenizer.json to embed (default: the model directory, when `source` is one). */
  tokenizerDir?: string;
  /** `general.name` (default: the directory's name). */
  name?: string;
}

function checkArchitecture(config: LlamaConfig): void {
  if (config.modelType === 'qwen2' || config.attentionBias || config.outputBias || config.mlpBias) {
    throw new SvdecodeError(
      'GGUF_UNSUPPORTED',
      `GGUF export of ${config.modelType} models with biases is not written yet`,
      {
        hint: 'Export Llama or Mistral checkpoints (no biases), or use export-onnx.',
        details: { modelType: config.modelType },
      },
    );
  }
  if (config.ropeScaling) {
    throw new SvdecodeError(
      'GGUF_UNSUPPORTED',
      'GGUF export of models with rope_scaling is not written yet',
      {
        hint: 'Export a model without rope_scaling, or use export-onnx.',
        details: { ropeScaling: config.ropeScaling },
      },
    );
  }
}

/** llama.cpp's `llama_ftype` of a file whose matrices are mostly of a type. */
const FILE_TYPE: Record<GgufTensorType, number> = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 7 };

/** The `llama.*` and `general.*` metadata llama.cpp reads for a Llama-family model. */
function modelMetadata(config: LlamaConfig, name: string, dtype: GgufTensorType): Array<[string, GgufValue]> {
  return [
    ['general.architecture', gguf.string('llama')],
    ['general.name', gguf.string(name)],
    ['general.file_type', gguf.u32(FILE_TYPE[dtype])],
    ['llama.vocab_size', gguf.u32(config.vocabSize)],
    ['llama.context_length', gguf.u32(config.maxPositions)],
    ['llama.embedding_length', gguf.u32(config.hiddenSize)],
    ['llama.block_count', gguf.u32(config.numLayers)],
    ['llama.feed_forward_length', gguf.u32(config.intermediateSize)],
    ['llama.rope.dimension_count', gguf.u32(config.headDim)],
    ['llama.rope.freq_base', gguf.f32(config.ropeTheta)],
    ['llama.attention.head_count', gguf.u32(config.numHeads)],
    ['llama.attention.head_count_kv', gguf.u32(config.numKvHeads)],
    ['llama.attention.key_length', gguf.u32(config.headDim)],
    ['llama.attention.value_length', gguf.u32(config.headDim)],
    ['llama.attention.layer_norm_rms_epsilon', gguf.f32(config.rmsNormEps)],
  ];
}

/**
 * Writes a Llama-family model (a Hugging Face directory or any `CheckpointWeights`) with its
 * tokenizer as one GGUF file for llama.cpp (F32 or F16 matrices). q and k rows are reordered for
 * llama.cpp's rotary layout, as its own converter does. Staged, then renamed.
 */
export async function exportGguf(
  source: string | CheckpointWeights,
  outFile: string,
  options: ExportGgufOptions = {},
): Promise<void> {
  const weights = typeof source === 'string' ? await openCheckpointWeights(source) : source;
  try {
    const { config } = weights;
    checkArchitecture(config);
    const tokenizerDir = options.tokenizerDir ?? (typeof source === 'string' ? source : undefined);
    if (!tokenizerDir) {
      throw new SvdecodeError('BAD_ARGUMENT', 'GGUF export needs the tokenizer.json: pass tokenizerDir', {
        hint: 'Pass { tokenizerDir } (the directory holding tokenizer.json) when exporting loaded weights.',
      });
    }
    const dtype = options.dtype ?? 'F32';
    const name = options.name ?? basename(resolve(typeof source === 'string' ? source : tokenizerDir));
    const metadata = [
      ...modelMetadata(config, name, dtype),
      ...(await tokenizerMetadata(tokenizerDir, config.vocabSize, {
        bos: config.bosTokenId,
        eos: config.eosTokenIds[0],
        pad: config.padTokenId,
      })),
    ];
    const blocks = dtype === 'Q8_0' || dtype === 'Q4_0';
    const matrixType = (shape: readonly number[], tensor: string): GgufTensorType => {
      if (!blocks || shape[shape.length - 1]! % QUANT_BLOCK === 0) return dtype;
      if (options.fallback) return options.fallback;
      throw new SvdecodeError(
        'QUANT_SHAPE',
        `${tensor} has rows of ${shape[shape.length - 1]} values, not a multiple of ${dtype}'s ${QUANT_BLOCK}-value block`,
        {
          hint: `Pass fallback: 'F16' (--fallback f16) to keep such matrices in F16 as llama.cpp's quantizer does, or export F16 / F32.`,
          details: { tensor, shape, dtype, block: QUANT_BLOCK },
        },
      );
    };
    // every type is decided before the file is started: a refusal writes nothing
    const tensors: GgufTensor[] = llamaTensors(config).map((plan) => ({
      name: plan.gguf,
      shape: plan.shape,
      type: plan.matrix ? matrixType(plan.shape, plan.gguf) : 'F32',
      data: async () => {
        const values = await weights.tensor(plan.checkpoint, plan.shape);
        return plan.permuteHeads ? permuteForRope(values, plan.shape, plan.permuteHeads) : values;
      },
    }));
    await writeGguf(outFile, metadata, tensors);
  } finally {
    if (typeof source === 'string') await weights.close?.();
  }
}

/**
 * Writes a LoRA adapter as a GGUF LoRA adapter for llama.cpp. PEFT's `lora_A` [r, in] and `lora_B`
 * [out, r] are stored as they are (GGUF lists the dimensions reversed: `lora_a` [in, r], `lora_b`
 * [r, out]); `lora_B` rows of q and k are reordered like the model's. `adapter.lora.alpha` is the
 * scaling times the rank, so that llama.cpp's alpha / rank is PEFT's scaling (rsLoRA included).
 * Adapters that are not low-rank (IA3, a dense delta) have no GGUF LoRA form: GGUF_UNSUPPORTED.
 */
export async function exportGgufLora(
  adapter: LinearAdapter,
  config: LlamaConfig,
  outFile: string,
  options: { name?: string } = {},
): Promise<void> {
  checkArchitecture(config);
  const deltas = await linearDeltasOf(adapter, 'GGUF LoRA export');
  const tensors: GgufTensor[] = [];
  let scaling: number | undefined;
  for (const [module, delta] of deltas) {
    const parsed = parseLinearModule(module);
    if (!parsed || delta.kind !== 'low-rank') {
      throw new SvdecodeError(
        'GGUF_UNSUPPORTED',
        `${module}: a ${delta.kind} delta has no GGUF LoRA form (only low-rank deltas on linear projections)`,
        {
          hint: 'Export LoRA adapters to GGUF; merge other adapters into the model instead.',
          details: { module },
        },
      );
    }
    if (scaling !== undefined && Math.abs(delta.scaling * delta.rank - scaling) > 1e-6 * Math.abs(scaling)) {
      throw new SvdecodeError(
        'GGUF_UNSUPPORTED',
        `${module}: its scaling differs from the other modules' (GGUF LoRA has one alpha per file)`,
        { hint: 'Use one lora_alpha and one rank for every module (no alpha_pattern or rank_pattern).' },
      );
    }
    scaling = delta.scaling * delta.rank;
    const { layer, proj } = parsed;
    const rank = delta.rank;
    const heads = proj === 'q' ? config.numHeads : proj === 'k' ? config.numKvHeads : undefined;
    const outDim = delta.b.length / rank;
    const inDim = delta.a.length / rank;
    const base = `blk.${layer}.${GGUF_LINEAR[proj]}.weight`;
    tensors.push(
      { name: `${base}.lora_a`, shape: [rank, inDim], type: 'F32', data: async () => delta.a },
      {
        name: `${base}.lora_b`,
        shape: [outDim, rank],
        type: 'F32',
        data: async () => (heads ? permuteForRope(delta.b, [outDim, rank], heads) : delta.b),
      },
    );
  }
  if (scaling === undefined) {
    throw new SvdecodeError('GGUF_UNSUPPORTED', 'the adapter changes no linear projection', {
      hint: 'Export a LoRA adapter with at least one target module.',
    });
  }
  await writeGguf(
    outFile,
    [
      ['general.architecture', gguf.string('llama')],
      ['general.type', gguf.string('adapter')],
      ['general.name', gguf.string(options.name ?? basename(resolve(outFile)))],
      ['adapter.type', gguf.string('lora')],
      ['adapter.lora.alpha', gguf.f32(scaling)],
    ],
    tensors,
  );
}
