import { dirname, join, resolve } from 'node:path';
import '@svdecode/backend-llama-cpp/register';
import '@svdecode/backend-onnx/register';
import { TfjsCausalLM } from '@svdecode/backend-tfjs';
import '@svdecode/backend-tfjs/register';
import {
  type CausalLM,
  chooseModelBackend,
  isPaired,
  type PairedCausalLM,
  SvdecodeError,
  type Tokenizer,
} from '@svdecode/core';
import { fileExists, loadTokenizer, readJsonFile } from '@svdecode/hf-io';
import { type AdaptedModel, loadAdapter } from '@svdecode/peft-tfjs';
import { TINY_MODEL_DIR } from '@svdecode/tiny';
import { fingerprintAdapter, fingerprintFile, fingerprintModel } from './fingerprint.js';
import { EXPORT_PROVENANCE, type Provenance } from './provenance.js';
import { tinyGgufFile, tinyLoraGguf } from './tiny-gguf.js';
import { tinyOnnxDir } from './tiny-onnx.js';

export { EXPORT_PROVENANCE, type Provenance } from './provenance.js';

/** `auto`: the highest-priority registered backend that can load the model directory. */
export const BACKEND_CHOICES = ['auto', 'tfjs', 'onnx', 'llama-cpp'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** `tiny` names the embedded default; anything else is a Hugging Face model directory. */
export function resolveModelDir(model: string): string {
  return model === 'tiny' ? TINY_MODEL_DIR : resolve(model);
}

export interface OpenedModel {
  /** The model directory (for `tiny` on ONNX: its cached export). */
  dir: string;
  /** The registry name of the backend that loaded it. */
  backend: string;
  /** The base model as loaded. */
  base: CausalLM;
  /** What plain decoding uses: the adapted model when there is an adapter, else the base model. */
  model: CausalLM;
  /** Base and adapted together (steering, calibration): an adapter on tfjs, or a paired ONNX export. */
  paired?: PairedCausalLM;
  tokenizer: Tokenizer;
  provenance: Provenance;
  dispose(): void;
}

export interface OpenModelOptions {
  /** A PEFT adapter directory to attach (backends that run adapters: tfjs). */
  adapter?: string;
  backend?: BackendChoice;
  /** The ONNX graph to load from an onnx-community directory (`--dtype`). */
  dtype?: string;
  quiet?: boolean;
}

/**
 * Loads a model through the backend registry (`--backend auto|tfjs|onnx`), with its tokenizer and
 * provenance, and the PEFT adapter on top when one is given. An ONNX export carries its adapter
 * inside (`export-onnx --adapter`), so `--adapter` with ONNX is refused with a hint.
 */
export async function openModel(model: string, options: OpenModelOptions = {}): Promise<OpenedModel> {
  const requested = options.backend ?? 'auto';
  if (requested === 'llama-cpp' || (requested === 'auto' && model.toLowerCase().endsWith('.gguf')))
    return openGgufModel(model, options);
  // the embedded model runs on ONNX from an export made once into the cache
  const dir =
    model === 'tiny' && requested === 'onnx' ? await tinyOnnxDir(options.quiet) : resolveModelDir(model);
  if (!(await fileExists(join(dir, 'config.json')))) {
    throw new SvdecodeError('FILE_NOT_FOUND', `${dir}: no config.json — not a model directory`, {
      hint: 'Pass a Hugging Face model directory (config.json + model.safetensors), an ONNX export made by svdecode export-onnx, or tiny.',
      details: { dir, file: 'config.json' },
    });
  }
  const backend = await chooseModelBackend(dir, options.adapter && requested === 'auto' ? 'tfjs' : requested);
  if (backend.canLoad && !(await backend.canLoad(dir))) {
    throw new SvdecodeError('FILE_NOT_FOUND', `${dir}: not a model the ${backend.name} backend can load`, {
      hint:
        backend.name === 'onnx'
          ? 'Export the model first: svdecode export-onnx --model <dir> --out <dir>; then pass that directory.'
          : 'Pass a Hugging Face model directory (config.json + model.safetensors), or --backend auto.',
      details: { dir, backend: backend.name },
    });
  }
  if (options.adapter && backend.name !== 'tfjs') {
    throw new SvdecodeError('BAD_ARGUMENT', `--adapter does not apply to --backend ${backend.name}`, {
      hint: 'Export the model with its adapter (svdecode export-onnx --adapter <dir> --paired) and pass that directory as --model.',
    });
  }
  if (options.dtype && backend.name !== 'onnx') {
    throw new SvdecodeError('BAD_ARGUMENT', `--dtype applies to --backend onnx, not ${backend.name}`, {
      hint: 'Pass an ONNX model directory (and --backend onnx), or drop --dtype.',
    });
  }
  const base = await backend.load(dir, options.dtype ? { dtype: options.dtype } : undefined);
  try {
    const tokenizer = await loadTokenizer(dir);
    if (base instanceof TfjsCausalLM) {
      const adapted = options.adapter
        ? await loadAdapter(base, resolve(options.adapter), { tokenizer })
        : undefined;
      return {
        dir,
        backend: backend.name,
        base,
        model: adapted ?? base,
        paired: adapted,
        tokenizer,
        provenance: {
          base: await fingerprintModel(dir),
          adapter: options.adapter ? await fingerprintAdapter(resolve(options.adapter)) : null,
          paired: false,
        },
        dispose: () => {
          adapted?.dispose();
          base.dispose();
        },
      };
    }
    const provenanceFile = join(dir, EXPORT_PROVENANCE);
    const paired = isPaired(base) ? base : undefined;
    return {
      dir,
      backend: backend.name,
      base,
      model: base,
      paired,
      tokenizer,
      // an export's provenance (base and adapter fingerprints) comes from the file export-onnx
      // writes; a foreign export is fingerprinted by its config only
      provenance: (await fileExists(provenanceFile))
        ? ((await readJsonFile(provenanceFile)) as Provenance)
        : { base: await fingerprintModel(dir), adapter: null, paired: paired !== undefined },
      dispose: () => base.dispose?.(),
    };
  } catch (error) {
    base.dispose?.();
    throw error;
  }
}

/** The base model as a tfjs model, for the jobs only tfjs does here (training, export). */
export async function openTfjsModel(model: string, options: OpenModelOptions = {}) {
  const opened = await openModel(model, { ...options, backend: 'tfjs' });
  // openModel's tfjs branch made these: a TfjsCausalLM and loadAdapter's AdaptedModel
  return { ...opened, base: opened.base as TfjsCausalLM, paired: opened.paired as AdaptedModel | undefined };
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

/**
 * A GGUF file on llama.cpp (`--backend llama-cpp`, or `auto` with a .gguf model), with a GGUF LoRA
 * adapter as `--adapter` (svdecode export-gguf writes both). The tokenizer is the tokenizer.json
 * beside the file when there is one, else llama.cpp's own. `tiny` is exported once into the cache.
 */
async function openGgufModel(model: string, options: OpenModelOptions): Promise<OpenedModel> {
  const file = model === 'tiny' ? await tinyGgufFile(options.quiet) : resolve(model);
  if (!file.toLowerCase().endsWith('.gguf')) {
    throw new SvdecodeError('BAD_ARGUMENT', `--backend llama-cpp takes a GGUF file, got ${file}`, {
      hint: 'Export the model first: svdecode export-gguf --model <dir> --out model.gguf; then pass that file.',
      details: { model: file },
    });
  }
  // the embedded model's PEFT adapters are exported once into the cache; elsewhere pass a GGUF LoRA
  const peftDir = options.adapter && model === 'tiny' && !options.adapter.toLowerCase().endsWith('.gguf');
  const adapterFile = peftDir
    ? await tinyLoraGguf(resolve(options.adapter!), options.quiet)
    : options.adapter;
  if (adapterFile && !adapterFile.toLowerCase().endsWith('.gguf')) {
    throw new SvdecodeError('BAD_ARGUMENT', '--adapter with --backend llama-cpp takes a GGUF LoRA file', {
      hint: 'Export the PEFT adapter first: svdecode export-gguf --model <dir> --adapter <peft dir> --out lora.gguf.',
      details: { adapter: options.adapter },
    });
  }
  const backend = await chooseModelBackend(file, 'llama-cpp');
  const loaded = await backend.load(file, adapterFile ? { adapter: resolve(adapterFile) } : {});
  try {
    const dir = model === 'tiny' ? TINY_MODEL_DIR : dirname(file);
    const tokenizer = (await fileExists(join(dir, 'tokenizer.json')))
      ? await loadTokenizer(dir)
      : (loaded as unknown as { tokenizer: Tokenizer }).tokenizer;
    const paired = isPaired(loaded) ? loaded : undefined;
    return {
      dir,
      backend: backend.name,
      base: loaded,
      model: loaded,
      paired,
      tokenizer,
      // the embedded model (and its PEFT adapters) keep the fingerprints of the files they were
      // exported from, so steering files calibrated on any backend match
      provenance: {
        base: model === 'tiny' ? await fingerprintModel(TINY_MODEL_DIR) : await fingerprintFile(file),
        adapter: peftDir
          ? await fingerprintAdapter(resolve(options.adapter!))
          : adapterFile
            ? await fingerprintFile(resolve(adapterFile))
            : null,
        paired: false,
      },
      dispose: () => loaded.dispose?.(),
    };
  } catch (error) {
    loaded.dispose?.();
    throw error;
  }
}
