import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TfjsCausalLM } from '@svdecode/backend-tfjs';
import { SvdecodeError } from '@svdecode/core';
import { fileExists, hfConfig, loadTokenizer, stageDirectory } from '@svdecode/hf-io';
import { AdaptedModel, linearDeltasOf, mergeAdapter, parseLinearModule } from '@svdecode/peft';
import { buildLlamaGraph, type LinearBranch } from './llama-graph.js';

export interface ExportOnnxOptions {
  /** Keep the adapter as a branch switched per row by an `adapter_scale` input (LoRA, IA3). Default: merge it. */
  paired?: boolean;
  /** Directory whose tokenizer files (tokenizer.json, tokenizer_config.json, special_tokens_map.json) are copied. */
  tokenizerDir?: string;
}

/** The adapter as per-row branches (paired export), read through `linearDelta()`. */
async function branchOf(adapted: AdaptedModel): Promise<LinearBranch> {
  const deltas = await linearDeltasOf(adapted.adapter);
  const branch: Required<LinearBranch> = { lora: new Map(), ia3: new Map(), dense: new Map() };
  for (const [module, delta] of deltas) {
    const path = parseLinearModule(module);
    const w = path ? adapted.base.weights.layers[path.layer]?.[path.proj] : undefined;
    if (!w)
      throw new SvdecodeError('CONFIG_INVALID', `no linear module ${module} in ${adapted.base.info.name}`);
    const [inDim, outDim] = w.shape as [number, number];
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
 */
export async function writeOnnxModel(
  source: TfjsCausalLM | AdaptedModel,
  dir: string,
  options: ExportOnnxOptions = {},
): Promise<void> {
  const model = source instanceof AdaptedModel ? source.base : source;
  let graph: Uint8Array;
  if (source instanceof AdaptedModel) {
    graph = options.paired
      ? buildLlamaGraph(model, { branch: await branchOf(source) })
      : buildLlamaGraph(model, { replace: await mergeAdapter(source) });
  } else {
    if (options.paired)
      throw new SvdecodeError('BAD_ARGUMENT', 'a paired export needs a model with an adapter');
    graph = buildLlamaGraph(model);
  }
  if (options.tokenizerDir && (await fileExists(join(options.tokenizerDir, 'tokenizer.json')))) {
    const tokenizer = await loadTokenizer(options.tokenizerDir);
    if (tokenizer.vocabSize > model.vocabSize) {
      throw new SvdecodeError(
        'VOCAB_MISMATCH',
        `the tokenizer has ${tokenizer.vocabSize} tokens, the model ${model.vocabSize}`,
        {
          details: { tokenizer: tokenizer.vocabSize, model: model.vocabSize },
        },
      );
    }
  }
  await mkdir(join(dir, 'onnx'), { recursive: true });
  await writeFile(join(dir, 'onnx', 'model.onnx'), graph);
  const c = model.config;
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
 * Exports a tfjs model (or a model with a LoRA/IA3 adapter) to the Optimum layout, staged in a
 * temporary directory and put in place of `outDir` whole.
 */
export function exportOnnx(
  source: TfjsCausalLM | AdaptedModel,
  outDir: string,
  options: ExportOnnxOptions = {},
): Promise<void> {
  return stageDirectory(outDir, (dir) => writeOnnxModel(source, dir, options));
}
