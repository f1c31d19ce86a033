import { SvdecodeError } from '@svdecode/core';
import * as tf from '@tensorflow/tfjs-core';
import type { AdaptedModel } from './adapted-model.js';
import { parseLinearModule } from './targets.js';

/**
 * LoRA merged into the base weights, `W + scaling * B A`, for export as a plain model: returns the
 * merged weights by checkpoint name (the others are unchanged). The base model is not modified.
 */
export async function mergeLora(
  adapted: AdaptedModel,
): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
  const adapter = adapted.adapter as unknown as {
    type: string;
    modules?: Map<string, { a: tf.Tensor2D; b: tf.Tensor2D; scaling: number }>;
  };
  if (adapter.type !== 'LORA' || !adapter.modules) {
    throw new SvdecodeError(
      'BAD_ARGUMENT',
      `only LoRA adapters merge into the weights (got ${adapter.type})`,
    );
  }
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [module, { a, b, scaling }] of adapter.modules) {
    const { layer, proj } = parseLinearModule(module)!;
    const w = adapted.base.weights.layers[layer]![proj] as tf.Tensor2D;
    // the backend keeps W as [in, out]; the merged weight is returned in the checkpoint layout [out, in]
    const merged = tf.tidy(() => tf.add(tf.transpose(w), tf.mul(tf.matMul(b, a), scaling)));
    out.set(`${module}.weight`, { shape: merged.shape, data: (await merged.data()) as Float32Array });
    merged.dispose();
  }
  return out;
}
