import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SvdecodeError } from '@svdecode/core';
import type { LlamaModel } from 'node-llama-cpp';
import { LlamaCppCausalLM, type LlamaCppOptions, sharedLlama } from './llama-model.js';
import { LlamaCppPairedModel } from './paired.js';

const fileExists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * Loads a GGUF file (weights and tokenizer) on llama.cpp's CPU backend. With `lora` (a GGUF LoRA
 * adapter, as `svdecode export-gguf --adapter` writes) the result is a `LlamaCppPairedModel`: plain
 * sessions are the adapted model's, paired sessions give base and adapted log-probabilities.
 */
export async function loadLlamaCppModel(
  file: string,
  options: LlamaCppOptions & { lora?: string; loraScale?: number } = {},
): Promise<LlamaCppCausalLM | LlamaCppPairedModel> {
  const path = resolve(file);
  if (!(await fileExists(path))) {
    throw new SvdecodeError('FILE_NOT_FOUND', `${path} does not exist`, {
      hint: 'Pass a GGUF model file (svdecode export-gguf writes one).',
      details: { file: path },
    });
  }
  const lora = options.lora ? { filePath: resolve(options.lora), scale: options.loraScale ?? 1 } : undefined;
  if (lora && !(await fileExists(lora.filePath))) {
    throw new SvdecodeError('FILE_NOT_FOUND', `${lora.filePath} does not exist`, {
      hint: 'Pass a GGUF LoRA adapter (svdecode export-gguf --adapter writes one).',
      details: { file: lora.filePath },
    });
  }
  const llama = await sharedLlama();
  let model: LlamaModel;
  try {
    model = await llama.loadModel({ modelPath: path });
  } catch (error) {
    throw new SvdecodeError(
      'GGUF_INVALID',
      `${path}: llama.cpp could not load it (${(error as Error).message})`,
      {
        details: { file: path },
        cause: error,
      },
    );
  }
  const loaded = new LlamaCppCausalLM(model, path, options, lora);
  if (lora) {
    // an adapter llama.cpp refuses (wrong architecture, shapes) fails here, not on the first step
    try {
      (await loaded.createEvaluator(lora)).context.dispose();
    } catch (error) {
      loaded.dispose();
      throw new SvdecodeError(
        'GGUF_INVALID',
        `${lora.filePath}: llama.cpp could not apply it (${(error as Error).message})`,
        {
          details: { file: lora.filePath },
          cause: error,
        },
      );
    }
    return new LlamaCppPairedModel(loaded);
  }
  return loaded;
}
