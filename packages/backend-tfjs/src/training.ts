/**
 * tfjs-core registers gradient functions only on request. Training code (the PEFT warm-start)
 * calls this once before `tf.grads` / optimizers; inference never needs it.
 */
let registered: Promise<unknown> | undefined;

export function enableGradients(): Promise<void> {
  registered ??= import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
  return registered.then(() => undefined);
}
