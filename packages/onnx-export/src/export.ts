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
  openCheckpointWeights,
  parseLinearModule,
  stageDirectory,
} from '@svdecode/hf-io';
import { externalizeInitializers } from './graph.js';
import { buildLlamaGraph, type LinearBranch, type WeightMap } from './llama-graph.js';

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
}

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
    const graphOptions = { logitsToKeep: options.logitsToKeep };
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
  if (options.externalData) {
    const { model, data } = externalizeInitializers(graph, 'model.onnx_data');
    await writeFile(join(dir, 'onnx', 'model.onnx'), model);
    await writeFile(join(dir, 'onnx', 'model.onnx_data'), data);
  } else {
    await writeFile(join(dir, 'onnx', 'model.onnx'), graph);
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
