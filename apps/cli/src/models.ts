import { join, resolve } from 'node:path';
import '@svdecode/backend-llama-cpp/register';
import '@svdecode/backend-onnx/register';
import '@svdecode/peft-tfjs/register';
import {
  chooseModelBackend,
  type LoadedModel,
  type ModelLoadOptions,
  type PairedCausalLM,
  type Provenance,
  SvdecodeError,
} from '@svdecode/core';
import { fileExists, fingerprintAdapter, fingerprintFile, fingerprintModel } from '@svdecode/hf-io';
import { TINY_MODEL_DIR } from '@svdecode/tiny';
import { tinyGgufFile, tinyLoraGguf } from './tiny-gguf.js';
import { tinyOnnxDir } from './tiny-onnx.js';

export type { Provenance } from '@svdecode/core';
export { EXPORT_PROVENANCE } from '@svdecode/hf-io';

/** `auto`: the highest-priority registered backend that can load the model directory. */
export const BACKEND_CHOICES = ['auto', 'tfjs', 'onnx', 'llama-cpp'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** `tiny` names the embedded default; anything else is a Hugging Face model directory. */
export function resolveModelDir(model: string): string {
  return model === 'tiny' ? TINY_MODEL_DIR : resolve(model);
}

export interface OpenedModel extends LoadedModel {
  /** The model directory (for `tiny` on ONNX: its cached export; for a GGUF file: its directory). */
  dir: string;
  /** The registry name of the backend that loaded it. */
  backend: string;
}

/** The model flags every command that decodes takes: `--model`, `--adapter`, `--backend`, `--dtype`. */
export interface ModelFlags extends OpenModelOptions {
  /** `tiny`, a model directory, or a GGUF file. */
  model: string;
}

export interface OpenModelOptions {
  /** A PEFT adapter directory (tfjs), or a GGUF LoRA file (llama-cpp; a PEFT directory with `tiny`). */
  adapter?: string;
  backend?: BackendChoice;
  /** The ONNX graph to load from an onnx-community directory (`--dtype`). */
  dtype?: string;
  quiet?: boolean;
}

/** Where the model comes from: the file or directory a backend loads, with what the embedded model needs. */
interface Source {
  path: string;
  dir: string;
  load: ModelLoadOptions;
  /** The embedded model keeps the fingerprints of the files its cached exports were made from. */
  provenance?: () => Promise<Provenance>;
}

/**
 * The embedded model on ONNX or llama.cpp runs from an export made once into the cache (its PEFT
 * adapters too, for llama.cpp); every other model is loaded from where it is.
 */
async function sourceOf(model: string, backend: BackendChoice, options: OpenModelOptions): Promise<Source> {
  const load: ModelLoadOptions = {
    ...(options.adapter === undefined ? {} : { adapter: resolve(options.adapter) }),
    ...(options.dtype === undefined ? {} : { dtype: options.dtype }),
  };
  if (model !== 'tiny') {
    const path = resolve(model);
    return { path, dir: backend === 'llama-cpp' ? resolve(path, '..') : path, load };
  }
  if (backend === 'onnx') {
    const dir = await tinyOnnxDir(options.quiet);
    return { path: dir, dir, load };
  }
  if (backend !== 'llama-cpp') return { path: TINY_MODEL_DIR, dir: TINY_MODEL_DIR, load };
  const peft = options.adapter !== undefined && !options.adapter.toLowerCase().endsWith('.gguf');
  const adapterDir = options.adapter === undefined ? undefined : resolve(options.adapter);
  return {
    path: await tinyGgufFile(options.quiet),
    dir: TINY_MODEL_DIR,
    load: {
      ...load,
      tokenizerDir: TINY_MODEL_DIR,
      ...(peft ? { adapter: await tinyLoraGguf(adapterDir!, options.quiet) } : {}),
    },
    provenance: async () => ({
      base: await fingerprintModel(TINY_MODEL_DIR),
      adapter:
        adapterDir === undefined
          ? null
          : peft
            ? await fingerprintAdapter(adapterDir)
            : await fingerprintFile(adapterDir),
      paired: false,
    }),
  };
}

/** The backend a request names, with `auto` read from the model (a .gguf file) and the adapter (tfjs runs PEFT directories). */
function requestedBackend(model: string, options: OpenModelOptions): BackendChoice {
  const requested = options.backend ?? 'auto';
  if (requested !== 'auto') return requested;
  if (model.toLowerCase().endsWith('.gguf')) return 'llama-cpp';
  return options.adapter ? 'tfjs' : 'auto';
}

/**
 * Loads a model through the backend registry (`--backend auto|tfjs|onnx|llama-cpp`): the backend
 * opens what it owns (model, adapter, tokenizer, provenance) and refuses what it cannot do with a
 * hint (an adapter on ONNX, whose exports carry theirs inside; `--dtype` off ONNX).
 */
export async function openModel({ model, ...options }: ModelFlags): Promise<OpenedModel> {
  const requested = requestedBackend(model, options);
  const source = await sourceOf(model, requested, options);
  await checkSource(source.path, requested);
  const backend = await chooseModelBackend(source.path, requested);
  if (backend.canLoad && !(await backend.canLoad(source.path))) {
    throw new SvdecodeError(
      'FILE_NOT_FOUND',
      `${source.path}: not a model the ${backend.name} backend can load`,
      {
        hint:
          backend.name === 'onnx'
            ? 'Export the model first: svdecode export-onnx --model <dir> --out <dir>; then pass that directory.'
            : 'Pass a Hugging Face model directory (config.json + model.safetensors), or --backend auto.',
        details: { dir: source.path, backend: backend.name },
      },
    );
  }
  const loaded = await backend.load(source.path, source.load);
  try {
    const provenance = source.provenance ? await source.provenance() : loaded.provenance;
    return { ...loaded, provenance, dir: source.dir, backend: backend.name };
  } catch (error) {
    loaded.dispose();
    throw error;
  }
}

/** A model directory needs a config.json; llama.cpp takes a GGUF file: FILE_NOT_FOUND / BAD_ARGUMENT with a hint. */
export async function checkSource(path: string, backend: BackendChoice): Promise<void> {
  if (backend === 'llama-cpp') {
    if (!path.toLowerCase().endsWith('.gguf')) {
      throw new SvdecodeError('BAD_ARGUMENT', `--backend llama-cpp takes a GGUF file, got ${path}`, {
        hint: 'Export the model first: svdecode export-gguf --model <dir> --out model.gguf; then pass that file.',
        details: { model: path },
      });
    }
    return;
  }
  if (!(await fileExists(join(path, 'config.json')))) {
    throw new SvdecodeError('FILE_NOT_FOUND', `${path}: no config.json — not a model directory`, {
      hint: 'Pass a Hugging Face model directory (config.json + model.safetensors), an ONNX export made by svdecode export-onnx, or tiny.',
      details: { dir: path, file: 'config.json' },
    });
  }
}

/** The paired model, or a clear error saying that this job needs an adapter. */
export function requirePaired(opened: OpenedModel, job: string): PairedCausalLM {
  if (opened.paired) return opened.paired;
  throw new SvdecodeError('BAD_ARGUMENT', `${job} needs an adapter (--adapter <dir>)`, {
    hint:
      opened.backend === 'onnx'
        ? 'Pass a paired export (svdecode export-onnx --adapter <dir> --paired).'
        : 'SVDecode steers the adapted model away from the base model; pass the adapter.',
  });
}
