import { fileURLToPath } from 'node:url';
import { type InitTfjsOptions, loadTfjsModel, type TfjsCausalLM } from '@svdecode/backend-tfjs';
import type { Tokenizer } from '@svdecode/core';
import { loadModelDirectory } from '@svdecode/hf-io';

/** The committed model directory (Hugging Face layout: config.json, model.safetensors, tokenizer.json). */
export const TINY_MODEL_DIR = fileURLToPath(new URL('../model/', import.meta.url));
/** The committed task sets: `<dir>/<task>/{train,calibration,test}.jsonl`. */
export const TINY_TASKS_DIR = fileURLToPath(new URL('../data/tasks/', import.meta.url));

/** The four task sets, by the names the CLI uses. */
export const TASKS = ['capitals', 'sentiment', 'wordnet', 'capitals-open'] as const;
export type TaskName = (typeof TASKS)[number];
/**
 * The task `svdecode demo` (and the demo adapter of `svdecode serve`) uses by default, chosen by the
 * rule in DECISIONS.md on calibration-split evidence: the task whose base-model template accuracy
 * is furthest above chance (with LoRA, the paper's first PEFT method).
 */
export const DEMO_TASK: TaskName = 'capitals-open';
export type Split = 'train' | 'calibration' | 'test';

/** Path of one split of one task. */
export function taskFile(task: TaskName, split: Split): string {
  return `${TINY_TASKS_DIR}${task}/${split}.jsonl`;
}

/** How a task's test split is scored. */
export function taskKind(task: TaskName): 'multiple-choice' | 'open-ended' {
  return task === 'capitals-open' ? 'open-ended' : 'multiple-choice';
}

/**
 * Loads the embedded model on the tfjs backend, with its tokenizer. `quiet: true` drops the line
 * saying which tfjs backend started (also `SVDECODE_QUIET`); `backend` picks one.
 */
export async function loadTiny(
  options: Pick<InitTfjsOptions, 'backend'> & { quiet?: boolean } = {},
): Promise<{ model: TfjsCausalLM; tokenizer: Tokenizer }> {
  const dir = await loadModelDirectory(TINY_MODEL_DIR, { tokenizer: 'required' });
  try {
    const init: InitTfjsOptions = {
      ...(options.backend ? { backend: options.backend } : {}),
      ...(options.quiet ? { log: false } : {}),
    };
    return { model: await loadTfjsModel(dir, init), tokenizer: dir.tokenizer! };
  } finally {
    await dir.close();
  }
}

/** The LoRA adapter and steering file `svdecode serve` uses by default (made by scripts/build-demo.mjs). */
export const TINY_DEMO_ADAPTER_DIR = fileURLToPath(new URL('../demo/lora/', import.meta.url));
export const TINY_DEMO_STEERING_FILE = fileURLToPath(new URL('../demo/steering.json', import.meta.url));
