import { join, resolve } from 'node:path';
import { SvdecodeError } from '@svdecode/core';
import {
  type GenerationConfig,
  type LlamaConfig,
  parseGenerationConfig,
  parseLlamaConfig,
} from './config.js';
import { fileExists, readJsonFile } from './json-file.js';
import { type HfTokenizer, loadTokenizer } from './tokenizer.js';
import { ModelWeights } from './weights.js';

/** A Hugging Face model directory: validated config, lazily read weights, tokenizer when present. */
export interface ModelDirectory {
  dir: string;
  config: LlamaConfig;
  /** config.json as parsed, for fields svdecode does not model. */
  rawConfig: Record<string, unknown>;
  generationConfig: GenerationConfig | undefined;
  tokenizer: HfTokenizer | undefined;
  weights: ModelWeights;
  /** Releases the open weight files. */
  close(): Promise<void>;
}

export interface LoadModelDirectoryOptions {
  /** Load tokenizer.json when present (default true); `'required'` fails without it. */
  tokenizer?: boolean | 'required';
}

/**
 * Opens a model directory: `config.json` (Llama family), `model.safetensors` or sharded weights,
 * `tokenizer.json` + `tokenizer_config.json`, optional `generation_config.json`. Weights are not read
 * until asked for. A tokenizer whose vocabulary exceeds the model's is refused (VOCAB_MISMATCH).
 */
export async function loadModelDirectory(
  dir: string,
  options: LoadModelDirectoryOptions = {},
): Promise<ModelDirectory> {
  const root = resolve(dir);
  const configPath = join(root, 'config.json');
  if (!(await fileExists(configPath))) {
    throw new SvdecodeError(
      'FILE_NOT_FOUND',
      `${root}: no config.json (is this a Hugging Face model directory?)`,
      {
        details: { dir: root, file: configPath },
      },
    );
  }
  const rawConfig = (await readJsonFile(configPath)) as Record<string, unknown>;
  const config = parseLlamaConfig(rawConfig, configPath);

  const generationPath = join(root, 'generation_config.json');
  const generationConfig = (await fileExists(generationPath))
    ? parseGenerationConfig(await readJsonFile(generationPath), generationPath)
    : undefined;

  let tokenizer: HfTokenizer | undefined;
  const wantTokenizer = options.tokenizer ?? true;
  if (wantTokenizer && (await fileExists(join(root, 'tokenizer.json')))) {
    tokenizer = await loadTokenizer(root);
    if (tokenizer.vocabSize > config.vocabSize) {
      throw new SvdecodeError(
        'VOCAB_MISMATCH',
        `${root}: tokenizer.json has ${tokenizer.vocabSize} tokens but config.json vocab_size is ${config.vocabSize}`,
        { details: { dir: root, tokenizer: tokenizer.vocabSize, model: config.vocabSize } },
      );
    }
  } else if (wantTokenizer === 'required') {
    throw new SvdecodeError('FILE_NOT_FOUND', `${root}: no tokenizer.json`, { details: { dir: root } });
  }

  const weights = await ModelWeights.open(root);
  return { dir: root, config, rawConfig, generationConfig, tokenizer, weights, close: () => weights.close() };
}
