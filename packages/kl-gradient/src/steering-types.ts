// The shapes the steering step fills in, shared by the JavaScript and WebAssembly kernels.

/** Output buffers of `steeringVector`, reused across steps so the steady state allocates nothing. */
export interface SteeringBuffers {
  delta: Float32Array;
  mask: Uint8Array;
}

/** The steering signal of one position (when `out` is given, `out` itself, filled in). */
export interface Steering extends SteeringBuffers {
  /** KL(p_adapted || p_base), natural log. */
  kl: number;
  /**
   * log sum exp of the adapted logits, so that `p_adapted[i] = exp(adapted[i] - logZ)`; lets
   * `tokenStrength` skip a second normalisation pass.
   */
  logZ: number;
  /** Number of tokens the mask keeps. */
  kept: number;
}

/**
 * Which implementation computes a step: `'auto'` (the default) uses the WebAssembly SIMD kernel
 * where the runtime has one and the JavaScript kernel otherwise; `'js'` always the JavaScript one
 * (the reference the WebAssembly kernel is tested against).
 */
export type SteeringKernel = 'auto' | 'js';
