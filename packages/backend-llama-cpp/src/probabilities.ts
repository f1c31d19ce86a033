/**
 * llama.cpp gives full-vocabulary probabilities, not logits (node-llama-cpp has no raw-logits
 * getter). log p is the logit minus a per-step constant, which is all the steering math and every
 * sampler stage need. float32 probabilities underflow to 0 about 104 nats below the top: those
 * tokens get the floor below, so that no -Infinity reaches the steering math (a -Infinity base
 * log-probability would otherwise win the steered argmax).
 */
export const LOG_PROBABILITY_FLOOR = Math.log(1.401298464324817e-45) - 1; // below float32's smallest positive

/** Writes log p of every token into `out` (floor where the probability underflowed). */
export function logProbabilities(
  probabilities: ReadonlyMap<number, number>,
  out: Float32Array,
): Float32Array {
  out.fill(LOG_PROBABILITY_FLOOR);
  for (const [token, p] of probabilities) if (p > 0 && token < out.length) out[token] = Math.log(p);
  return out;
}
