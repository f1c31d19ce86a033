import { SvdecodeError } from '@svdecode/core';

/**
 * How to steer one decode: the strength, the confidence threshold (default `DEFAULT_ALPHA`, 0.1) and
 * the value masked tokens get (default -Infinity: removed). The one definition the sampler, scoring
 * and evaluation share. `mu = 0` is no steering.
 */
export interface SteeringSettings {
  mu: number;
  alpha?: number;
  lambda?: number;
}

/**
 * Steered logits (Eq. 14): `adapted + mu * delta` on the tokens the mask keeps; on masked tokens
 * `-Infinity` when `lambda` is -Infinity (the default, whatever the sign of `mu`: a masked token is
 * never un-masked), else `adapted + mu * lambda`. One pass; `out` may be `adapted` itself (in place).
 * mu = 0 is no steering: the adapted logits unchanged, without the mask (the same meaning of
 * mu = 0 as the sampler, scoring, evaluation and calibration reports).
 */
export function steerLogits(
  adapted: Float32Array,
  steering: { delta: Float32Array; mask: Uint8Array },
  mu: number,
  options: { lambda?: number; out?: Float32Array } = {},
): Float32Array {
  const n = adapted.length;
  const { delta, mask } = steering;
  if (delta.length !== n || mask.length !== n) {
    throw new SvdecodeError('VOCAB_MISMATCH', `steering has ${delta.length} entries, logits ${n}`, {
      details: { steering: delta.length, logits: n },
    });
  }
  if (!Number.isFinite(mu)) {
    throw new SvdecodeError('BAD_ARGUMENT', `mu must be a finite number, got ${mu}`, { details: { mu } });
  }
  const lambda = options.lambda ?? Number.NEGATIVE_INFINITY;
  if (Number.isNaN(lambda) || lambda === Number.POSITIVE_INFINITY) {
    throw new SvdecodeError('BAD_ARGUMENT', `lambda must be finite or -Infinity, got ${lambda}`, {
      details: { lambda },
    });
  }
  const out = options.out ?? new Float32Array(n);
  if (out.length !== n) {
    throw new SvdecodeError('VOCAB_MISMATCH', `output buffer holds ${out.length} entries, logits ${n}`);
  }
  if (mu === 0) {
    if (out !== adapted) out.set(adapted);
  } else if (lambda === Number.NEGATIVE_INFINITY) {
    for (let i = 0; i < n; i++) out[i] = mask[i] ? adapted[i]! + mu * delta[i]! : Number.NEGATIVE_INFINITY;
  } else {
    const masked = mu * lambda;
    for (let i = 0; i < n; i++) out[i] = adapted[i]! + (mask[i] ? mu * delta[i]! : masked);
  }
  return out;
}
