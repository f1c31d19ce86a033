import { resolve } from 'node:path';
import { exportGguf, exportGgufLora } from '@svdecode/gguf-export';
import { loadModelDirectory } from '@svdecode/hf-io';
import { loadLinearAdapter } from '@svdecode/peft';
import { resolveModelDir } from '../models.js';
import type { CommonFlags } from '../options.js';
import { note } from '../progress.js';

export interface ExportGgufFlags extends CommonFlags {
  model: string;
  adapter?: string;
  dtype: 'f32' | 'f16' | 'q8_0' | 'q4_0';
  fallback?: 'f16' | 'f32';
  out: string;
}

/**
 * Writes a GGUF file for llama.cpp: the model with its tokenizer, or with --adapter the PEFT LoRA
 * adapter as a GGUF LoRA adapter (the model directory gives its shapes). Straight from the files;
 * no tensor library is loaded.
 */
export async function exportGgufCommand(flags: ExportGgufFlags): Promise<void> {
  const target = resolve(flags.out);
  const dir = resolveModelDir(flags.model);
  const started = performance.now();
  let kind: string;
  if (flags.adapter) {
    const directory = await loadModelDirectory(dir, { tokenizer: false });
    try {
      await exportGgufLora(await loadLinearAdapter(resolve(flags.adapter)), directory.config, target);
    } finally {
      await directory.close();
    }
    kind = 'LoRA adapter';
  } else {
    await exportGguf(dir, target, {
      dtype: flags.dtype.toUpperCase() as 'F32' | 'F16' | 'Q8_0' | 'Q4_0',
      ...(flags.fallback ? { fallback: flags.fallback.toUpperCase() as 'F16' | 'F32' } : {}),
    });
    kind = `model (${flags.dtype.toUpperCase()})`;
  }
  const seconds = (performance.now() - started) / 1000;
  if (flags.json) process.stdout.write(`${JSON.stringify({ out: target, kind, seconds })}\n`);
  else note(`exported the ${kind} to ${target} in ${seconds.toFixed(1)} s`);
}
