import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SvdecodeError } from '@svdecode/core';
import {
  applyLinearDelta,
  type CheckpointWeights,
  expectedWeights,
  fileExists,
  hfConfig,
  type LinearAdapter,
  type LinearDelta,
  linearDeltasOf,
  loadTokenizer,
  ONNX_DTYPES,
  openCheckpointWeights,
  parseLinearModule,
  stageDirectory,
} from '@svdecode/hf-io';
import { externalizeInitializers } from './graph.js';
import type { LinearBranch } from './linear-group.js';
import { buildLlamaGraph, type WeightMap } from './llama-graph.js';

export interface ExportOnnxOptions {
  /** An adapter to merge into the weights, or with `paired` to keep as a per-row branch. */
  adapter?: LinearAdapter;
  /** Keep the adapter as a branch switched per row by an `adapter_scale` input. Default: merge it. */
  paired?: boolean;
  /** Directory whose tokenizer files (tokenizer.json, tokenizer_config.json, special_tokens_map.json) are copied. */
  tokenizerDir?: string;
  /** Write the weights to onnx/model.onnx_data beside the graph (the external-data layout). Default: inside. */
  externalData?: boolean /** Add the `logits_to_keep` input (the LM head runs on the last positions only when decoding). */;
  logitsToKeep?: boolean;
  /**
   * Weights of the graph, named as transformers.js names dtypes: `fp32` (default, onnx/model.onnx),
   * `q8` (onnx/model_quantized.onnx) or `q4` (onnx/model_q4.onnx): weight-only block quantization
   * of every linear layer and the LM head with onnxruntime's `MatMulNBits` (8 or 4 bits, blocks of
   * 32; llama.cpp's Q8_0 / Q4_0 rules). Plain, merged and paired exports alike; a paired export's
   * adapter branch stays float32. Every quantized matrix's input dimension must divide by 32.
   */
  dtype?: OnnxExportDtype;
  /**
   * q8 / q4 only: `accuracyLevel`, onnxruntime's compute path for MatMulNBits, 4 (default:
   * activations quantized to int8 per block, int32 accumulation, the faster path on CPU) or 0
   * (float32); `blockSize` 32 (default) or 16; `headBits`, the LM head's bits (default: the
   * dtype's); `embeddings`, the embedding table quantized too (GatherBlockQuantized; default off);
   * `zeroPoints`, asymmetric blocks with a zero point each (default symmetric).
   */
  quantization?: {
    accuracyLevel?: 0 | 4;
    blockSize?: 16 | 32;
    headBits?: 4 | 8;
    embeddings?: boolean;
    zeroPoints?: boolean;
  };
  /**
   * Paired exports: SVDecode's steering step inside the graph (inputs `steer_mu`, `steer_alpha`,
   * `steer_lambda`; outputs `steered_logits`, `steer_kl`, `steer_kept`), which
   * `@svdecode/backend-onnx` uses instead of the JavaScript kernel when decoding steered. Default:
   * on for vocabularies of `STEERING_IN_GRAPH_MIN_VOCAB` tokens or more, where it measured faster
   * (V = 32,000: +0.02 ms of onnxruntime against 0.6 ms of kernel; V = 2,048: +0.075 ms against
   * 0.04 ms).
   */
  steering?: boolean;
}

/** The dtypes the exporter writes. */
export type OnnxExportDtype = 'fp32' | 'q8' | 'q4';

/** Paired exports of vocabularies this large or larger put the steering step in the graph by default. */
export const STEERING_IN_GRAPH_MIN_VOCAB = 8192;
const QUANT_BITS = { q8: 8, q4: 4 } as const;

const moduleOf = (module: string) => {
  if (!parseLinearModule(module))
    throw new SvdecodeError(
      'CONFIG_INVALID',
      `the adapter changes ${module}, not a linear module of a Llama layer`,
    );
  return `${module}.weight`;
};

/** The adapter merged: W' = W + delta for each module it changes. */
function merged(weights: WeightMap, deltas: ReadonlyMap<string, LinearDelta>) {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [module, delta] of deltas) {
    const name = moduleOf(module);
    const w = weights.get(name)!;
    const shape = w.shape as [number, number];
    out.set(name, { shape: [...shape], data: applyLinearDelta(module, w.data, shape, delta) });
  }
  return out;
}

/** The adapter as per-row branches (paired export). */
function branches(weights: WeightMap, deltas: ReadonlyMap<string, LinearDelta>): LinearBranch {
  const branch: Required<LinearBranch> = { lora: new Map(), ia3: new Map(), dense: new Map() };
  for (const [module, delta] of deltas) {
    const [outDim, inDim] = weights.get(moduleOf(module))!.shape as [number, number];
    if (delta.kind === 'low-rank') {
      branch.lora.set(module, {
        a: delta.a,
        aShape: [delta.rank, inDim],
        b: delta.b,
        bShape: [outDim, delta.rank],
        scaling: delta.scaling,
      });
    } else if (delta.kind === 'scale') {
      branch.ia3.set(module, { l: delta.vector, input: delta.axis === 'in' });
    } else {
      branch.dense.set(module, { data: delta.data, shape: [outDim, inDim] });
    }
  }
  return branch;
}

/**
 * Writes the Optimum layout that onnxruntime and transformers.js load (config.json,
 * generation_config.json, tokenizer files, onnx/model.onnx) into an existing directory: for callers
 * that stage the directory themselves and add files of their own (`exportOnnx` stages it).
 * `source` is a model directory or any `CheckpointWeights`.
 */
export async function writeOnnxModel(
  source: string | CheckpointWeights,
  dir: string,
  options: ExportOnnxOptions = {},
): Promise<void> {
  const weights = typeof source === 'string' ? await openCheckpointWeights(source) : source;
  const c = weights.config;
  let graph: Uint8Array;
  try {
    if (options.paired && !options.adapter)
      throw new SvdecodeError(
        'BAD_ARGUMENT',
        'a paired export needs an adapter (paired: true without adapter)',
        {
          hint: 'Pass { adapter, paired: true } (a PEFT directory through loadLinearAdapter, or a tfjs Adapter), or drop paired for a plain export.',
        },
      );
    const map = new Map<string, { shape: readonly number[]; data: Float32Array }>();
    for (const [name, shape] of expectedWeights(c))
      map.set(name, { shape, data: await weights.tensor(name, shape) });
    const deltas = options.adapter ? await linearDeltasOf(options.adapter, 'ONNX export') : undefined;
    const dtype = options.dtype ?? 'fp32';
    if (!['fp32', 'q8', 'q4'].includes(dtype))
      throw new SvdecodeError(
        'BAD_ARGUMENT',
        `the ONNX exporter writes fp32, q8 or q4, not ${JSON.stringify(dtype)}`,
        {
          hint: 'Pass dtype fp32, q8 (8-bit weights) or q4 (4-bit weights).',
          details: { dtype },
        },
      );
    if (options.steering && !options.paired)
      throw new SvdecodeError('BAD_ARGUMENT', 'steering inside the graph needs a paired export', {
        hint: 'Pass { adapter, paired: true, steering: true }: the steering step compares the base and adapted rows of one run.',
      });
    const graphOptions = {
      logitsToKeep: options.logitsToKeep,
      steering: options.paired === true && (options.steering ?? c.vocabSize >= STEERING_IN_GRAPH_MIN_VOCAB),
      ...(dtype === 'fp32'
        ? {}
        : { quantize: { ...options.quantization, bits: QUANT_BITS[dtype as 'q8' | 'q4'] } }),
    };
    graph = !deltas
      ? buildLlamaGraph(c, map, graphOptions)
      : options.paired
        ? buildLlamaGraph(c, map, { ...graphOptions, branch: branches(map, deltas) })
        : buildLlamaGraph(c, map, { ...graphOptions, replace: merged(map, deltas) });
  } finally {
    if (typeof source === 'string') await weights.close?.();
  }
  if (options.tokenizerDir && (await fileExists(join(options.tokenizerDir, 'tokenizer.json')))) {
    const tokenizer = await loadTokenizer(options.tokenizerDir);
    if (tokenizer.vocabSize > c.vocabSize) {
      throw new SvdecodeError(
        'VOCAB_MISMATCH',
        `the tokenizer has ${tokenizer.vocabSize} tokens, the model ${c.vocabSize}`,
        { details: { tokenizer: tokenizer.vocabSize, model: c.vocabSize } },
      );
    }
  }
  await mkdir(join(dir, 'onnx'), { recursive: true });
  const file = `model${ONNX_DTYPES[options.dtype ?? 'fp32']}.onnx`;
  if (options.externalData) {
    const { model, data } = externalizeInitializers(graph, `${file}_data`);
    await writeFile(join(dir, 'onnx', file), model);
    await writeFile(join(dir, 'onnx', `${file}_data`), data);
  } else {
    await writeFile(join(dir, 'onnx', file), graph);
  }
  await writeFile(join(dir, 'config.json'), `${JSON.stringify(hfConfig(c), null, 2)}\n`);
  const generation = {
    bos_token_id: c.bosTokenId ?? null,
    eos_token_id: c.eosTokenIds.length === 1 ? c.eosTokenIds[0] : c.eosTokenIds,
  };
  await writeFile(join(dir, 'generation_config.json'), `${JSON.stringify(generation, null, 2)}\n`);
  for (const file of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) {
    if (options.tokenizerDir && (await fileExists(join(options.tokenizerDir, file))))
      await copyFile(join(options.tokenizerDir, file), join(dir, file));
  }
}

/**
 * Exports a model (a directory, or `CheckpointWeights`), with an adapter merged or paired when one
 * is given, to the Optimum layout, staged in a temporary directory and put in place of `outDir` whole.
 */
export function exportOnnx(
  source: string | CheckpointWeights,
  outDir: string,
  options: ExportOnnxOptions = {},
): Promise<void> {
  return stageDirectory(outDir, (dir) => writeOnnxModel(source, dir, options));
}
