import { resolve } from 'node:path';
import { type ModelBackend, type PairedCausalLM, SvdecodeError, type Tokenizer } from '@svdecode/core';
import { fingerprintAdapter, fingerprintModel, holdsSafetensorsModel, loadTokenizer } from '@svdecode/hf-io';
import * as tf from '@tensorflow/tfjs-core';
import { loadTfjsModel, type TfjsCausalLM } from './model.js';
import { activeTfjsBackend, initTfjs } from './tfjs-backends.js';

/** Attaches a PEFT adapter directory to a loaded model (what `@svdecode/peft-tfjs/register` supplies). */
export type AttachAdapter = (
  model: TfjsCausalLM,
  adapterDir: string,
  tokenizer: Tokenizer,
) => Promise<PairedCausalLM & { dispose(): void }>;

/**
 * The tfjs `ModelBackend`: Hugging Face directories with safetensors weights, their tokenizer and
 * fingerprint. Without `attach` it refuses adapters; `@svdecode/peft-tfjs/register` registers it with
 * PEFT adapters attached (this package cannot depend on the adapters, which build on it).
 */
export async function tfjsModelBackend(attach?: AttachAdapter): Promise<ModelBackend> {
  const info = await initTfjs();
  return {
    name: 'tfjs',
    describe: () => `tfjs ${tf.version_core} on ${activeTfjsBackend() ?? info.name}`,
    canLoad: (source) => holdsSafetensorsModel(resolve(source)),
    async load(source, options = {}) {
      if (options.dtype !== undefined) {
        throw new SvdecodeError(
          'BAD_ARGUMENT',
          '--dtype applies to --backend onnx, not tfjs (it picks an ONNX graph)',
          {
            hint: 'Pass an ONNX model directory (and --backend onnx), or drop --dtype.',
          },
        );
      }
      if (options.adapter !== undefined && !attach) {
        throw new SvdecodeError(
          'BAD_ARGUMENT',
          'the tfjs backend attaches adapters through @svdecode/peft-tfjs',
          {
            hint: 'Import the module @svdecode/peft-tfjs/register instead of @svdecode/backend-tfjs/register: it registers tfjs with PEFT adapters.',
          },
        );
      }
      const dir = resolve(source);
      const base = await loadTfjsModel(dir);
      let adapted: (PairedCausalLM & { dispose(): void }) | undefined;
      try {
        const tokenizer = await loadTokenizer(options.tokenizerDir ?? dir);
        const adapter = options.adapter === undefined ? undefined : resolve(options.adapter);
        adapted = adapter ? await attach!(base, adapter, tokenizer) : undefined;
        return {
          base,
          model: adapted ?? base,
          paired: adapted,
          tokenizer,
          provenance: {
            base: await fingerprintModel(dir),
            adapter: adapter ? await fingerprintAdapter(adapter) : null,
            paired: false,
          },
          dispose: () => {
            adapted?.dispose();
            base.dispose();
          },
        };
      } catch (error) {
        adapted?.dispose();
        base.dispose();
        throw error;
      }
    },
  };
}
