import { SvdecodeError } from '@svdecode/core';
import { applyLinearDelta, linearDeltasOf, parseLinearModule } from '@svdecode/hf-io';
import type * as tf from '@tensorflow/tfjs-core';
import type { AdaptedModel } from './adapted-model.js';

/**
 * The adapter merged into the base weights, W' = W + delta, for export as a plain model: the merged
 * weights by checkpoint name, in the checkpoint layout [out, in] (the others are unchanged). Reads
 * the adapter through `linearDelta()` only; the base model is not modified.
 */
export async function mergeAdapter(
  adapted: AdaptedModel,
): Promise<Map<string, { shape: [number, number]; data: Float32Array }>> {
  const deltas = await linearDeltasOf(adapted.adapter, 'merging');
  const out = new Map<string, { shape: [number, number]; data: Float32Array }>();
  for (const [module, delta] of deltas) {
    const path = parseLinearModule(module);
    const w = path
      ? (adapted.base.weights.layers[path.layer]?.[path.proj] as tf.Tensor2D | undefined)
      : undefined;
    if (!w)
      throw new SvdecodeError('CONFIG_INVALID', `no linear module ${module} in ${adapted.base.info.name}`);
    // the backend keeps W as [in, out]
    const [inDim, outDim] = w.shape;
    const stored = (await w.data()) as Float32Array;
    const weight = new Float32Array(inDim * outDim);
    for (let o = 0; o < outDim; o++)
      for (let i = 0; i < inDim; i++) weight[o * inDim + i] = stored[i * outDim + o]!;
    out.set(`${module}.weight`, {
      shape: [outDim, inDim],
      data: applyLinearDelta(module, weight, [outDim, inDim], delta),
    });
  }
  return out;
}
