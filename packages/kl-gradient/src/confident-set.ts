/**
 * Whether the confident set {p >= alpha * max p} of these logits holds exactly one token. With
 * lambda = -Infinity the steered distribution is then a point mass on that token whatever the base
 * model says, so a decoder may skip the base model on such a step (lazy base decoding). The test is
 * the one `steeringVector` makes (float32 exp(a - max) >= alpha: its exponentials sit in a
 * Float32Array), so lazy and eager decoding choose the same tokens. Logits `steeringVector` refuses
 * (NaN, +Infinity, all -Infinity) give false, so that the full step reports them. O(V), no allocation.
 */
export function oneConfidentToken(logits: Float32Array, alpha: number): boolean {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) {
    const a = logits[i]!;
    if (a > max) max = a;
    else if (Number.isNaN(a)) return false;
  }
  if (max === Number.POSITIVE_INFINITY || max === Number.NEGATIVE_INFINITY) return false;
  // a cheap bound first, then the exact test on the few tokens near the top
  const floor = max + Math.log(alpha) - 1e-3;
  let confident = 0;
  for (let i = 0; i < logits.length; i++) {
    const a = logits[i]!;
    if (a >= floor && Math.fround(Math.exp(a - max)) >= alpha && ++confident > 1) return false;
  }
  return true;
}
