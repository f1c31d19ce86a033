import { SvdecodeError } from '@svdecode/core';
import type { Steering, SteeringBuffers, SteeringKernel } from './steering-types.js';
import { wasmSteeringKernel } from './wasm-kernel.js';

/** Paper default for the confidence threshold (Eq. 12). */
export const DEFAULT_ALPHA = 0.1;

/**
 * Base log-probability assumed for a token whose base logit is -Infinity (banned) while the adapted
 * model allows it. Without a floor the log ratio would be infinite and KL, delta and mu NaN. -1e4
 * matches what a finite -1e4 logit gives; finite logits are always used exactly as they are.
 */
export const BANNED_LOG_PROB = -1e4;

/** Below this alpha the threshold nears float32's denormals, where only the JavaScript kernel is exact. */
const MIN_WASM_ALPHA = 1e-30;

/** The kernel `'auto'` uses in this runtime. */
export function activeSteeringKernel(): 'wasm-simd' | 'js' {
  return wasmSteeringKernel() ? 'wasm-simd' : 'js';
}

export function createSteeringBuffers(vocabSize: number): Steering {
  // NaN (a double) from the start keeps kl/logZ in unboxed double fields: no allocation per step
  return {
    delta: new Float32Array(vocabSize),
    mask: new Uint8Array(vocabSize),
    kl: Number.NaN,
    logZ: Number.NaN,
    kept: 0,
  };
}

/** Throws BAD_ARGUMENT unless alpha is in (0, 1]. */
export function checkAlpha(alpha: number): void {
  if (!(alpha > 0 && alpha <= 1)) {
    throw new SvdecodeError('BAD_ARGUMENT', `alpha must be in (0, 1], got ${alpha}`, {
      hint: 'alpha is the confidence threshold relative to the top probability; the paper uses 0.1.',
      details: { alpha },
    });
  }
}

/** Throws NON_FINITE_LOGITS at the first NaN or +Infinity, if any. */
function throwInvalid(values: Float32Array, which: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v) || v === Number.POSITIVE_INFINITY) {
      throw new SvdecodeError('NON_FINITE_LOGITS', `${which} logits are ${v} at index ${i}`, {
        details: { which, index: i, value: String(v) },
      });
    }
  }
}

/**
 * The SVDecode steering vector (Eq. 10) and confidence mask (Eq. 12), in O(V):
 * `delta[i] = p_adapted[i] * (KL - r[i])` with `r = log_softmax(adapted) - log_softmax(base)`, the
 * softmax Jacobian applied to -grad KL without ever forming it; `mask[i] = p_adapted[i] >= alpha *
 * max p_adapted`. `delta` is returned unmasked. Three passes, two `Math.exp` per token.
 *
 * -Infinity logits are legal: an adapted -Infinity gives p = 0 and delta = 0; a base -Infinity where
 * the adapted model allows the token uses `BANNED_LOG_PROB`. NaN or +Infinity throws NON_FINITE_LOGITS,
 * different lengths VOCAB_MISMATCH. With `out`, the result is `out` itself with `kl`, `logZ` and `kept` set.
 */
export function steeringVector(
  adapted: Float32Array,
  base: Float32Array,
  options: { alpha?: number; out?: SteeringBuffers; kernel?: SteeringKernel } = {},
): Steering {
  const n = adapted.length;
  if (base.length !== n) {
    throw new SvdecodeError(
      'VOCAB_MISMATCH',
      `adapted logits have ${n} entries, base logits ${base.length}`,
      {
        details: { adapted: n, base: base.length },
      },
    );
  }
  if (n === 0) throw new SvdecodeError('BAD_ARGUMENT', 'logits are empty');
  const alpha = options.alpha ?? DEFAULT_ALPHA;
  checkAlpha(alpha);
  const out = options.out ?? createSteeringBuffers(n);
  if (out.delta.length !== n || out.mask.length !== n) {
    throw new SvdecodeError(
      'VOCAB_MISMATCH',
      `steering buffers hold ${out.delta.length} entries, logits ${n}`,
      {
        details: { buffers: out.delta.length, logits: n },
      },
    );
  }
  // the WebAssembly SIMD kernel takes the common case (finite logits, no base-banned token the
  // adapted model allows); it leaves the rest, errors included, to the JavaScript passes below
  if (options.kernel !== 'js' && alpha >= MIN_WASM_ALPHA) {
    const wasm = wasmSteeringKernel();
    if (wasm?.steer(adapted, base, alpha, out)) return out as Steering;
  }
  const { delta, mask } = out;

  // Pass 1: maxima; NaN fails every comparison, so it is looked for separately.
  let maxA = Number.NEGATIVE_INFINITY;
  let maxB = Number.NEGATIVE_INFINITY;
  let sawNaN = false;
  for (let i = 0; i < n; i++) {
    const a = adapted[i]!;
    const b = base[i]!;
    if (a > maxA) maxA = a;
    if (b > maxB) maxB = b;
    if (Number.isNaN(a) || Number.isNaN(b)) sawNaN = true;
  }
  if (sawNaN || maxA === Number.POSITIVE_INFINITY || maxB === Number.POSITIVE_INFINITY) {
    throwInvalid(adapted, 'adapted');
    throwInvalid(base, 'base');
  }
  if (maxA === Number.NEGATIVE_INFINITY) {
    throw new SvdecodeError(
      'NON_FINITE_LOGITS',
      'adapted logits are all -Infinity: they define no distribution',
    );
  }
  const baseAllBanned = maxB === Number.NEGATIVE_INFINITY;

  // Pass 2: exponentials. delta temporarily holds exp(adapted - maxA); sums for KL by linearity.
  let sumA = 0;
  let sumB = 0;
  let dotA = 0; // sum e_i * a_i
  let dotB = 0; // sum e_i * b_i over tokens the base allows
  let bannedMass = 0; // sum e_i over tokens the base bans
  for (let i = 0; i < n; i++) {
    const a = adapted[i]!;
    const b = base[i]!;
    const e = Math.exp(a - maxA);
    delta[i] = e;
    sumA += e;
    if (e !== 0) {
      dotA += e * a;
      if (b === Number.NEGATIVE_INFINITY) bannedMass += e;
      else dotB += e * b;
    }
    if (!baseAllBanned) sumB += Math.exp(b - maxB);
  }
  const logZA = maxA + Math.log(sumA);
  const logZB = baseAllBanned ? 0 : maxB + Math.log(sumB);
  // r_i = (a_i - logZA) - (b_i - logZB) = a_i - b_i + shift for allowed tokens
  const shift = logZB - logZA;
  const bannedR = -logZA - BANNED_LOG_PROB; // r_i = a_i + bannedR for banned tokens
  const kl = (dotA - dotB + shift * (sumA - bannedMass) + bannedR * bannedMass) / sumA;

  // Pass 3: delta and mask. exp(a - maxA) >= alpha is p >= alpha * max p (the max has e = 1).
  const invSum = 1 / sumA;
  let kept = 0;
  for (let i = 0; i < n; i++) {
    const e = delta[i]!;
    if (e === 0) {
      delta[i] = 0;
      mask[i] = 0;
      continue;
    }
    const a = adapted[i]!;
    const b = base[i]!;
    const r = b === Number.NEGATIVE_INFINITY ? a + bannedR : a - b + shift;
    delta[i] = e * invSum * (kl - r);
    const keep = e >= alpha ? 1 : 0;
    mask[i] = keep;
    kept += keep;
  }
  // filling `out` in place keeps the steady state free of allocations (no result object per step)
  const result = out as Steering;
  result.kl = kl;
  result.logZ = logZA;
  result.kept = kept;
  return result;
}
