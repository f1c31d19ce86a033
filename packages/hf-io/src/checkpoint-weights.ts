import type { LlamaConfig } from './config.js';
import { loadModelDirectory } from './model-dir.js';

/**
 * A model's weights as the exporter reads them: by checkpoint name, float32, in the checkpoint
 * layout (linear weights [out, in]). `openCheckpointWeights(dir)` reads a Hugging Face directory;
 * `checkpointWeights(model)` of `@svdecode/backend-tfjs` gives a loaded tfjs model's.
 */
export interface CheckpointWeights {
  readonly config: LlamaConfig;
  tensor(name: string, shape: readonly number[]): Promise<Float32Array>;
  /** Releases what the source holds open (files). */
  close?(): Promise<void>;
}

/** The weights of a Hugging Face model directory (config.json + safetensors), read lazily. */
export async function openCheckpointWeights(dir: string): Promise<CheckpointWeights> {
  const directory = await loadModelDirectory(dir, { tokenizer: false });
  return {
    config: directory.config,
    tensor: (name, shape) => directory.weights.readFloat32(name, shape),
    close: () => directory.close(),
  };
}
