import type { SteeringKernel } from './steering-types.js';
import { wasmSteeringKernel } from './wasm-kernel.js';

/** Below this length the JavaScript pass is as fast as copying into the kernel's memory. */
const MIN_WASM_LENGTH = 64;

/**
 * log sum exp of a logits vector, max-shifted; banned tokens (-Infinity) add nothing. -Infinity
 * when every token is banned; NaN when a logit is NaN or +Infinity. The one implementation the
 * sampler (each step's log-probability) and the strength solver share. The WebAssembly SIMD kernel
 * computes it where the runtime has one (float32 exponentials summed in float64: within 1e-6 of the
 * JavaScript pass); `{ kernel: 'js' }` forces `Math.exp` in float64.
 */
export function logSumExp(logits: Float32Array, options?: { kernel?: SteeringKernel }): number {
  if (logits.length >= MIN_WASM_LENGTH && options?.kernel !== 'js') {
    const wasm = wasmSteeringKernel();
    if (wasm) return wasm.logSumExp(logits);
  }
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]!;
    if (v > max) max = v;
    else if (Number.isNaN(v)) return Number.NaN;
  }
  if (max === Number.NEGATIVE_INFINITY) return max;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]!;
    if (v !== Number.NEGATIVE_INFINITY) sum += Math.exp(v - max);
  }
  return max + Math.log(sum);
}
