import * as tf from '@tensorflow/tfjs-core';

/**
 * `a x b` whose gradient avoids the transposed products: tfjs's MatMul gradient computes
 * `dy x b^T` and `a^T x dy` with the transpose flags, which tfjs-wasm runs ~10x slower than a plain
 * product; transposing explicitly (a fast copy) and multiplying plainly is much cheaper (training
 * the first, 2M-parameter embedded model went from ~170 to ~830 tokens/s).
 */
const plainGradMatMul = tf.customGrad(((a: tf.Tensor2D, b: tf.Tensor2D, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [x, w] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(dy, tf.transpose(w)), tf.matMul(tf.transpose(x), dy)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]);

export function matMulPlainGrad(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return plainGradMatMul(a, b) as tf.Tensor2D;
}
