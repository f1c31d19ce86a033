import { SvdecodeError } from '@svdecode/core';
import { logSumExp } from '@svdecode/kl-gradient';

/** Paper default for the denominator guard of Eq. 41. */
export const DEFAULT_EPS = 1e-12;

export interface TokenStrength {
  /** <e_target - p_adapted, delta> over the kept tokens. */
  numerator: number;
  /** ||delta||^2 over the kept tokens. */
  denominator: number;
  /** numerator / (denominator + eps). */
  mu: number;
}

/**
 * The per-token optimal strength (Eq. 16-20, Gauss-Newton):
 * `mu* = <e_target - p_adapted, delta_hat> / (||delta_hat||^2 + eps)`, both inner products over the
 * tokens the mask keeps (a target outside them contributes no one-hot term). Only the kept tokens
 * are visited when `steering.logZ` (from `steeringVector`) is given; otherwise one normalisation
 * pass over the adapted logits runs first. Accumulates in float64. With `out`, fills and returns it.
 */
export function tokenStrength(
  adapted: Float32Array,
  steering: { delta: Float32Array; mask: Uint8Array; logZ?: number },
  target: number,
  options: { eps?: number; out?: TokenStrength } = {},
): TokenStrength {
  const n = adapted.length;
  const { delta, mask } = steering;
  if (delta.length !== n || mask.length !== n) {
    throw new SvdecodeError('VOCAB_MISMATCH', `steering has ${delta.length} entries, logits ${n}`, {
      details: { steering: delta.length, logits: n },
    });
  }
  if (!Number.isInteger(target) || target < 0 || target >= n) {
    throw new SvdecodeError('TOKEN_OUT_OF_RANGE', `target ${target} is outside [0, ${n})`, {
      details: { target, vocabSize: n },
    });
  }
  const eps = options.eps ?? DEFAULT_EPS;
  if (!(eps >= 0)) throw new SvdecodeError('BAD_ARGUMENT', `eps must be >= 0, got ${eps}`);
  const logZ = steering.logZ ?? logSumExp(adapted);

  let pDotDelta = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    if (!mask[i]) continue;
    const d = delta[i]!;
    pDotDelta += Math.exp(adapted[i]! - logZ) * d;
    den += d * d;
  }
  const numerator = (mask[target] ? delta[target]! : 0) - pDotDelta;
  // `out` lets the calibration loop run without allocating a result per token
  const out = options.out ?? { numerator: 0, denominator: 0, mu: 0 };
  out.numerator = numerator;
  out.denominator = den;
  out.mu = numerator / (den + eps);
  return out;
}
