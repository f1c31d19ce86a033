import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { exportGguf, exportGgufLora } from '@svdecode/gguf-export';
import { fileExists, fingerprintAdapter, fingerprintModel, loadModelDirectory } from '@svdecode/hf-io';
import { loadLinearAdapter } from '@svdecode/peft';
import { TINY_MODEL_DIR } from '@svdecode/tiny';
import { note } from './progress.js';
import { cacheRoot } from './tiny-onnx.js';

/**
 * The embedded model as a GGUF file, written once into the cache (staged, then renamed) under a
 * name that carries the model's fingerprint, so a rebuilt model gets a new file.
 */
export async function tinyGgufFile(quiet?: boolean): Promise<string> {
  const fingerprint = await fingerprintModel(TINY_MODEL_DIR);
  const file = join(cacheRoot(), `tiny-${fingerprint.replace(/^sha256:/, '').slice(0, 16)}.gguf`);
  if (await fileExists(file)) {
    note(`using the GGUF export of the embedded model cached in ${file}`, quiet);
    return file;
  }
  const started = performance.now();
  await mkdir(cacheRoot(), { recursive: true });
  await exportGguf(TINY_MODEL_DIR, file);
  note(
    `exported the embedded model to GGUF once (${((performance.now() - started) / 1000).toFixed(1)} s), cached in ${file}`,
    quiet,
  );
  return file;
}

/**
 * A PEFT LoRA directory for the embedded model as a GGUF LoRA adapter, written once into the cache
 * under the adapter's fingerprint (so `--backend llama-cpp --model tiny --adapter <peft dir>` works).
 */
export async function tinyLoraGguf(adapterDir: string, quiet?: boolean): Promise<string> {
  const fingerprint = await fingerprintAdapter(adapterDir);
  const file = join(cacheRoot(), `tiny-lora-${fingerprint.replace(/^sha256:/, '').slice(0, 16)}.gguf`);
  if (await fileExists(file)) return file;
  await mkdir(cacheRoot(), { recursive: true });
  const directory = await loadModelDirectory(TINY_MODEL_DIR, { tokenizer: false });
  try {
    await exportGgufLora(await loadLinearAdapter(adapterDir), directory.config, file);
  } finally {
    await directory.close();
  }
  note(`exported the adapter ${adapterDir} to GGUF once, cached in ${file}`, quiet);
  return file;
}
