// Shared test helpers come from @svdecode/testkit and @svdecode/core/test; this file only quiets logs.
export { maxAbsDiff } from '@svdecode/core/test';
export { tempDir } from '@svdecode/testkit';

process.env.SVDECODE_QUIET = '1';

import { checkpointWeights, type TfjsCausalLM } from '@svdecode/backend-tfjs';
import { type ExportOnnxOptions, exportOnnx } from '@svdecode/onnx-export';
import { AdaptedModel } from '@svdecode/peft-tfjs';

/** Exports a tfjs model, or an adapted one (its adapter merged, or paired), with @svdecode/onnx-export. */
export function exportModel(
  model: TfjsCausalLM | AdaptedModel,
  dir: string,
  options: Omit<ExportOnnxOptions, 'adapter'> = {},
): Promise<void> {
  return model instanceof AdaptedModel
    ? exportOnnx(checkpointWeights(model.base), dir, { ...options, adapter: model.adapter })
    : exportOnnx(checkpointWeights(model), dir, options);
}
