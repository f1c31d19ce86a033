import { basename, join, resolve } from 'node:path';
import { SvdecodeError } from '@svdecode/core';
import { fileExists, holdsSafetensorsModel, loadTokenizer, readJsonFile } from '@svdecode/hf-io';
import * as ort from 'onnxruntime-node';
import { availableDtypes, findOnnxGraph, ONNX_DTYPES, type OnnxDtype } from './graph-files.js';
import { OnnxCausalLM } from './onnx-model.js';
import { OrtRunner, type Shape } from './ort-runner.js';
import { PairedOnnxCausalLM } from './paired-model.js';
import { defaultThreads } from './threads.js';

export interface LoadOnnxOptions {
  /** Intra-op threads (default: the physical cores the OS reports, `defaultThreads()`). */
  threads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Display name (default: the directory name). */
  name?: string;
  /**
   * Which graph of an onnx-community directory to load, named as transformers.js names them
   * (`fp32` onnx/model.onnx, `fp16` model_fp16.onnx, `q8` / `quantized` model_quantized.onnx,
   * `int8`, `uint8`, `q4`, `q4f16`, `bnb4`). Default: fp32 when present, else the first of the list.
   */
  dtype?: OnnxDtype;
}

const KNOWN_INPUTS =
  /^(input_ids|attention_mask|position_ids|use_cache_branch|adapter_scale|logits_to_keep|num_logits_to_keep|steer_mu|steer_alpha|steer_lambda|past_key_values\.\d+\.(key|value))$/;

/** onnxruntime's session, with its refusal of an operator it lacks turned into a coded error. */
async function createSession(file: string, options: ort.InferenceSession.SessionOptions) {
  try {
    return await ort.InferenceSession.create(file, options);
  } catch (error) {
    const message = String((error as Error).message);
    const unknown = /([\w.]*):(\w+)\(-?\d+\) is not a registered function\/op/.exec(message);
    if (!unknown) {
      if (
        !/Load model from|ShapeInferenceError|TypeInferenceError|INVALID_GRAPH|INVALID_PROTOBUF/.test(message)
      )
        throw error;
      throw new SvdecodeError('ONNX_INVALID', `${file}: onnxruntime cannot load the graph: ${message}`, {
        hint: 'The file is not a graph this onnxruntime can load (shapes or types disagree); re-export it.',
        details: { file },
        cause: error,
      });
    }
    const [, domain, op] = unknown;
    throw new SvdecodeError(
      'ONNX_OPERATOR_UNSUPPORTED',
      `${file}: onnxruntime-node ${ort.env.versions.common} has no ${domain ? `${domain}:` : ''}${op} operator`,
      {
        hint: op!.startsWith('MatMulNBits')
          ? 'Quantized graphs (q4, q8) need com.microsoft MatMulNBits (onnxruntime 1.17+ CPU); upgrade onnxruntime-node, or load the fp32 graph (dtype fp32).'
          : 'The graph needs an operator this onnxruntime build lacks; upgrade onnxruntime-node or re-export the model with standard operators.',
        details: { file, domain, operator: op },
        cause: error,
      },
    );
  }
}

/**
 * A graph with the steering step inside (a `steered_logits` output) must take mu, alpha and lambda
 * as float scalars and give the KL and kept count beside the steered logits, as onnx-export writes it.
 */
function checkSteeringSignature(session: ort.InferenceSession, file: string): void {
  const inputs = ['steer_mu', 'steer_alpha', 'steer_lambda'];
  const has = inputs.filter((n) => session.inputNames.includes(n));
  if (!session.outputNames.includes('steered_logits') && has.length === 0) return;
  const metadata = (
    session as unknown as { inputMetadata?: Array<{ name: string; type?: string; shape?: unknown[] }> }
  ).inputMetadata;
  const wrong = inputs.filter((n) => {
    const m = metadata?.find((x) => x.name === n);
    return (
      !m || (m.type !== undefined && m.type !== 'float32') || (m.shape !== undefined && m.shape.length !== 0)
    );
  });
  const missing = ['steered_logits', 'steer_kl', 'steer_kept', 'adapter_scale'].filter(
    (n) => !session.outputNames.includes(n) && !session.inputNames.includes(n),
  );
  if (wrong.length > 0 || missing.length > 0) {
    throw new SvdecodeError(
      'ONNX_INVALID',
      `${file}: a steering graph needs float scalar inputs steer_mu, steer_alpha, steer_lambda and outputs steered_logits, steer_kl, steer_kept on a paired export${wrong.length > 0 ? `; wrong or missing: ${wrong.join(', ')}` : ''}${missing.length > 0 ? `; missing: ${missing.join(', ')}` : ''}`,
      {
        hint: 'Re-export it with exportOnnx(model, dir, { adapter, paired: true, steering: true }) (svdecode export-onnx --paired --steering-in-graph).',
        details: { file, wrong, missing },
      },
    );
  }
}

/**
 * Loads an Optimum / onnx-community decoder directory: picks the graph (`dtype`), checks its inputs
 * and the tokenizer's vocabulary, and returns an `OnnxCausalLM`, or a `PairedOnnxCausalLM` for a
 * paired export (`adapter_scale` input).
 */
export async function loadOnnxModel(dir: string, options: LoadOnnxOptions = {}): Promise<OnnxCausalLM> {
  const root = resolve(dir);
  const configPath = join(root, 'config.json');
  if (!(await fileExists(configPath))) {
    throw new SvdecodeError('FILE_NOT_FOUND', `${root}: no config.json — not an Optimum model directory`, {
      details: { dir: root, file: 'config.json' },
    });
  }
  if (options.dtype !== undefined && !(options.dtype in ONNX_DTYPES)) {
    throw new SvdecodeError('BAD_ARGUMENT', `unknown ONNX dtype ${JSON.stringify(options.dtype)}`, {
      hint: `Use one of ${Object.keys(ONNX_DTYPES).join(', ')}.`,
      details: { dtype: options.dtype },
    });
  }
  const file = await findOnnxGraph(root, options.dtype);
  if (!file && options.dtype) {
    const available = await availableDtypes(root);
    throw new SvdecodeError(
      'FILE_NOT_FOUND',
      `${root}: no ${options.dtype} graph (onnx/model${ONNX_DTYPES[options.dtype]}.onnx)`,
      {
        hint:
          available.length > 0
            ? `This directory has: ${available.join(', ')}.`
            : 'The directory has no decoder graph.',
        details: { dir: root, dtype: options.dtype, available },
      },
    );
  }
  if (!file) {
    throw new SvdecodeError(
      'FILE_NOT_FOUND',
      `${root}: no onnx/model.onnx (or onnx/decoder_model_merged.onnx) — not an Optimum decoder`,
      {
        hint: (await holdsSafetensorsModel(root))
          ? 'This is a safetensors model directory: load it with the tfjs backend, or export it first (svdecode export-onnx --model <dir> --out <dir>, or exportOnnx of @svdecode/onnx-export).'
          : 'Pass a directory with an ONNX decoder graph in onnx/ (an Optimum or onnx-community export, or one svdecode export-onnx wrote).',
        details: { dir: root, file: 'onnx/model.onnx' },
      },
    );
  }
  const config = (await readJsonFile(configPath)) as Record<string, number>;
  const heads = config.num_attention_heads!;
  const session = await createSession(file, {
    graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
    intraOpNumThreads: options.threads ?? defaultThreads(),
  });
  for (const input of ['input_ids', 'attention_mask']) {
    if (!session.inputNames.includes(input)) {
      throw new SvdecodeError(
        'ONNX_INVALID',
        `${file}: the graph has no "${input}" input — not an Optimum decoder`,
        { details: { file, input } },
      );
    }
  }
  const unknown = session.inputNames.filter((n) => !KNOWN_INPUTS.test(n));
  if (unknown.length > 0) {
    throw new SvdecodeError(
      'ONNX_UNSUPPORTED_INPUT',
      `${file}: unsupported graph inputs ${unknown.join(', ')}`,
      { details: { file, inputs: unknown } },
    );
  }
  checkSteeringSignature(session, file);
  const layers = session.inputNames.filter((n) => /^past_key_values\.\d+\.key$/.test(n)).length;
  if (layers === 0) {
    throw new SvdecodeError(
      'ONNX_INVALID',
      `${file}: the graph has no past_key_values inputs — export it with the KV cache (Optimum "with-past")`,
      {
        details: { file },
      },
    );
  }
  const shape: Shape = {
    layers,
    kvHeads: config.num_key_value_heads ?? heads,
    headDim: config.head_dim ?? config.hidden_size! / heads,
    vocab: config.vocab_size!,
  };
  const metadata = (session as unknown as { inputMetadata?: Array<{ name: string; type?: string }> })
    .inputMetadata;
  const pastType = metadata?.find((m) => m.name === 'past_key_values.0.key')?.type;
  const cacheType = pastType === 'float16' || /_(fp16|q4f16)\.onnx$/.test(file) ? 'float16' : 'float32';
  if (await fileExists(join(root, 'tokenizer.json'))) {
    const tokenizer = await loadTokenizer(root);
    if (tokenizer.vocabSize > shape.vocab) {
      throw new SvdecodeError(
        'VOCAB_MISMATCH',
        `${root}: tokenizer.json has ${tokenizer.vocabSize} tokens but the model's vocabulary is ${shape.vocab}`,
        {
          details: { tokenizer: tokenizer.vocabSize, model: shape.vocab },
        },
      );
    }
  }
  // a paired export (adapter_scale input) is a PairedCausalLM
  const Model = session.inputNames.includes('adapter_scale') ? PairedOnnxCausalLM : OnnxCausalLM;
  return new Model(new OrtRunner(session, shape, cacheType), {
    name: options.name ?? basename(root),
    backend: 'onnxruntime-node',
    architecture: String(config.model_type),
  });
}
