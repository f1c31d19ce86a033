// Shared test helpers come from @svdecode/testkit and @svdecode/core/test. Test models are the HF
// fixtures exported by @svdecode/onnx-export, checked against testkit's reference forward: no other
// backend is involved (comparisons with tfjs are integration tests, in integration/).
import { join } from 'node:path';
import { type ExportOnnxOptions, exportOnnx } from '@svdecode/onnx-export';
import { loadLinearAdapter } from '@svdecode/peft';
import { HF_DIR, loadReferenceWeights, mergeLora, ReferenceLM } from '@svdecode/testkit';

export { maxAbsDiff } from '@svdecode/core/test';
export { tempDir } from '@svdecode/testkit';

process.env.SVDECODE_QUIET = '1';

/** Exports a fixture model (`llama-gqa`...), with a fixture adapter (`lora`...) merged or paired. */
export async function exportFixture(
  model: string,
  out: string,
  options: Omit<ExportOnnxOptions, 'adapter'> & { adapter?: string } = {},
): Promise<void> {
  const { adapter, ...rest } = options;
  const linear = adapter ? await loadLinearAdapter(join(HF_DIR, 'adapters', adapter)) : undefined;
  await exportOnnx(join(HF_DIR, model), out, linear ? { ...rest, adapter: linear } : rest);
}

/** The reference forward of a fixture model, with a fixture LoRA merged when given. */
export async function referenceModel(model: string, lora?: string): Promise<ReferenceLM> {
  const weights = await loadReferenceWeights(join(HF_DIR, model));
  return new ReferenceLM(lora ? await mergeLora(weights, join(HF_DIR, 'adapters', lora)) : weights);
}
