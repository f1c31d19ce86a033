/**
 * log sum exp of a logits vector, max-shifted; banned tokens (-Infinity) cost a comparison, not an
 * exp. -Infinity when every token is banned. The one implementation the sampler and the strength
 * solver share.
 */
export function logSumExp(logits: Float32Array): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  if (max === Number.NEGATIVE_INFINITY) return max;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]!;
    if (v !== Number.NEGATIVE_INFINITY) sum += Math.exp(v - max);
  }
  return max + Math.log(sum);
}
