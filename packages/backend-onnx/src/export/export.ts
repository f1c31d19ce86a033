import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TfjsCausalLM } from '@svdecode/backend-tfjs';
import { SvdecodeError } from '@svdecode/core';
import { fileExists, hfConfig, loadTokenizer, stageDirectory } from '@svdecode/hf-io';
import { AdaptedModel, mergeLora, parseLinearModule } from '@svdecode/peft';
import type * as tf from '@tensorflow/tfjs-core';
import { buildLlamaGraph, type LinearBranch } from './llama-graph.js';

export interface ExportOnnxOptions {
  /** Keep the adapter as a branch switched per row by an `adapter_scale` input (LoRA, IA3). Default: merge it. */
  paired?: boolean;
  /** Directory whose tokenizer files (tokenizer.json, tokenizer_config.json, special_tokens_map.json) are copied. */
  tokenizerDir?: string;
}

/** The adapter's weights as a per-row branch (paired export). */
async function branchOf(adapted: AdaptedModel): Promise<LinearBranch> {
  const a = adapted.adapter as unknown as {
    type: string;
    modules?: Map<
      string,
      { a?: tf.Tensor2D; b?: tf.Tensor2D; scaling?: number; l?: tf.Tensor; input?: boolean }
    >;
  };
  if (a.type === 'LORA' && a.modules) {
    const lora = new Map();
    for (const [module, m] of a.modules) {
      lora.set(module, {
        a: (await m.a!.data()) as Float32Array,
        aShape: m.a!.shape,
        b: (await m.b!.data()) as Float32Array,
        bShape: m.b!.shape,
        scaling: m.scaling!,
      });
    }
    return { lora };
  }
  if (a.type === 'IA3' && a.modules) {
    const ia3 = new Map();
    for (const [module, m] of a.modules)
      ia3.set(module, { l: (await m.l!.data()) as Float32Array, input: m.input! });
    return { ia3 };
  }
  throw new SvdecodeError(
    'BAD_ARGUMENT',
    `a ${a.type} adapter cannot be exported to ONNX as a weight branch`,
    {
      hint: 'Paired and merged ONNX exports support LoRA and IA3; prompt methods change the input, not the weights.',
    },
  );
}

/** IA3 folded into the weights: output rows (or, for feed-forward modules, input columns) scaled. */
async function mergeIa3(
  adapted: AdaptedModel,
): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
  const branch = await branchOf(adapted);
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [module, { l, input }] of branch.ia3!) {
    const { layer, proj } = parseLinearModule(module)!;
    // stored [in, out]; written in the checkpoint layout [out, in]
    const w = adapted.base.weights.layers[layer]![proj] as tf.Tensor2D;
    const [inDim, outDim] = w.shape;
    const stored = (await w.data()) as Float32Array;
    const data = new Float32Array(inDim * outDim);
    for (let o = 0; o < outDim; o++) {
      for (let i = 0; i < inDim; i++) data[o * inDim + i] = stored[i * outDim + o]! * l[input ? i : o]!;
    }
    out.set(`${module}.weight`, { shape: [outDim, inDim], data });
  }
  return out;
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
    if (options.paired) {
      graph = buildLlamaGraph(model, { branch: await branchOf(source) });
    } else {
      const type = source.adapter.type;
      if (type !== 'LORA' && type !== 'IA3') await branchOf(source); // throws the explanation
      graph = buildLlamaGraph(model, {
        replace: type === 'LORA' ? await mergeLora(source) : await mergeIa3(source),
      });
    }
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
