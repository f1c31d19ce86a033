import { join, resolve } from 'node:path';
import { loadOnnxModel, type OnnxCausalLM } from '@svdecode/backend-onnx';
import { loadTfjsModel, type TfjsCausalLM } from '@svdecode/backend-tfjs';
import { SvdecodeError, type Tokenizer } from '@svdecode/core';
import { fileExists, loadModelDirectory, loadTokenizer, readJsonFile } from '@svdecode/hf-io';
import { type AdaptedModel, loadAdapter } from '@svdecode/peft';
import { TINY_MODEL_DIR } from '@svdecode/tiny';
import { fingerprintAdapter, fingerprintModel } from './fingerprint.js';
import { EXPORT_PROVENANCE, type Provenance } from './provenance.js';
import { tinyOnnxDir } from './tiny-onnx.js';

export { EXPORT_PROVENANCE, type Provenance } from './provenance.js';

/** `tiny` names the embedded default; anything else is a Hugging Face model directory. */
export function resolveModelDir(model: string): string {
  return model === 'tiny' ? TINY_MODEL_DIR : resolve(model);
}

export interface LoadedTfjs {
  dir: string;
  model: TfjsCausalLM;
  tokenizer: Tokenizer;
  adapted?: AdaptedModel;
  provenance: Provenance;
}

/** Base model (tfjs) with its tokenizer, and the adapter on top when one is given. */
export async function loadTfjs(model: string, adapterDir?: string): Promise<LoadedTfjs> {
  const dir = resolveModelDir(model);
  const directory = await loadModelDirectory(dir, { tokenizer: 'required' });
  let base: TfjsCausalLM;
  try {
    base = await loadTfjsModel(directory);
  } finally {
    await directory.close();
  }
  const tokenizer = directory.tokenizer!;
  let adapted: AdaptedModel | undefined;
  if (adapterDir) {
    try {
      adapted = await loadAdapter(base, resolve(adapterDir), { tokenizer });
    } catch (error) {
      base.dispose();
      throw error;
    }
  }
  return {
    dir,
    model: base,
    tokenizer,
    adapted,
    provenance: {
      base: await fingerprintModel(dir),
      adapter: adapterDir ? await fingerprintAdapter(resolve(adapterDir)) : null,
      paired: false,
    },
  };
}

export interface LoadedOnnx {
  dir: string;
  model: OnnxCausalLM;
  tokenizer: Tokenizer;
  provenance: Provenance;
}

/**
 * An ONNX export (Optimum layout). Its provenance (base and adapter fingerprints) comes from the
 * file export-onnx writes; a foreign export is fingerprinted by its config only.
 */
export async function loadOnnx(model: string, options: { quiet?: boolean } = {}): Promise<LoadedOnnx> {
  // the embedded model runs on ONNX from an export made once into the cache
  const dir = model === 'tiny' ? await tinyOnnxDir(options.quiet) : resolveModelDir(model);
  if (
    !(await fileExists(join(dir, 'onnx', 'model.onnx'))) &&
    !(await fileExists(join(dir, 'onnx', 'decoder_model_merged.onnx')))
  ) {
    throw new SvdecodeError('FILE_NOT_FOUND', `${dir}: no onnx/model.onnx`, {
      hint: 'Export the model first: svdecode export-onnx --model <dir> --out <dir>; then pass that directory.',
      details: { dir },
    });
  }
  const onnx = await loadOnnxModel(dir);
  const tokenizer = await loadTokenizer(dir);
  const provenanceFile = join(dir, EXPORT_PROVENANCE);
  const provenance = (await fileExists(provenanceFile))
    ? ((await readJsonFile(provenanceFile)) as Provenance)
    : { base: await fingerprintModel(dir), adapter: null, paired: onnx.paired };
  return { dir, model: onnx, tokenizer, provenance };
}
