import type { Steering, SteeringBuffers } from './steering-types.js';
import { STEERING_KERNEL_WASM } from './wasm/steering-kernel-bytes.js';

/** The part of the WebAssembly API used here (the package's lib has no DOM types). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}

interface KernelExports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  maxima(a: number, b: number, bytes: number): void;
  logSumExp(x: number, bytes: number): void;
  sums(a: number, b: number, e: number, bytes: number, maxA: number, maxB: number): void;
  finish(
    a: number,
    b: number,
    e: number,
    m: number,
    bytes: number,
    kl: number,
    shift: number,
    invSum: number,
    threshold: number,
    lo: number,
    hi: number,
  ): void;
}

/** Bytes at the start of the kernel's memory that hold its results. */
const RESULTS = 64;

/** The smallest float32 >= x (the kernel compares float32 exponentials with it, as `e >= alpha` does). */
function float32AtLeast(x: number): number {
  const f = Math.fround(x);
  if (f >= x) return f;
  const bits = new Float32Array([f]);
  const ints = new Int32Array(bits.buffer);
  ints[0]! += f > 0 ? 1 : -1;
  return bits[0]!;
}

/**
 * The steering step's passes in WebAssembly SIMD (src/wasm/steering-kernel.wat): a polynomial exp
 * four lanes at a time instead of `Math.exp`. It takes the common case, finite logits without a
 * token the base bans and the adapted model allows, and leaves everything else (errors included)
 * to the JavaScript kernel by returning false. Tokens whose exponential lies too close to the mask
 * threshold for float32 to decide are decided by the JavaScript test, so both kernels (and
 * `oneConfidentToken`) keep the same tokens.
 */
export class WasmSteeringKernel {
  readonly #x: KernelExports;
  #buffer: ArrayBuffer | undefined;
  #n = -1;
  #n4 = 0;
  #heap = new Float32Array(0);
  // the kernel's results (the first 64 bytes, see the .wat header)
  #sums = new Float64Array(0);
  #maxima = new Float32Array(0);
  #counts = new Int32Array(0);
  #delta = new Float32Array(0);
  #mask = new Uint8Array(0);
  #lastAlpha = Number.NaN;
  #threshold = 0;
  #lo = 0;
  #hi = 0;

  constructor(wasm: WasmApi, module: object) {
    this.#x = new wasm.Instance(module).exports as KernelExports;
  }

  /** Room for `bytes` after the results, and the result views on the current buffer. */
  #ensure(bytes: number): void {
    const x = this.#x;
    const have = x.memory.buffer.byteLength;
    if (RESULTS + bytes > have) x.memory.grow(Math.ceil((RESULTS + bytes - have) / 65536));
    const buffer = x.memory.buffer;
    if (buffer === this.#buffer) return;
    this.#buffer = buffer;
    this.#heap = new Float32Array(buffer, RESULTS);
    this.#sums = new Float64Array(buffer, 0, 5);
    this.#maxima = new Float32Array(buffer, 40, 2);
    this.#counts = new Int32Array(buffer, 48, 2);
    this.#n = -1; // the steering views belong to the old buffer
  }

  /** Points the steering views at `n` entries; no allocation when nothing changed. */
  #prepare(n: number): void {
    const n4 = Math.ceil(n / 4) * 4;
    this.#ensure(n4 * 13); // three float32 arrays and one byte array
    if (n === this.#n) return;
    this.#n4 = n4;
    this.#delta = this.#heap.subarray(2 * n4, 2 * n4 + n);
    this.#mask = new Uint8Array(this.#buffer!, RESULTS + 12 * n4, n);
    this.#n = n;
  }

  /** log sum exp of `logits` (max-shifted; -Infinity when all are -Infinity, NaN for NaN or +Infinity). */
  logSumExp(logits: Float32Array): number {
    const n = logits.length;
    const n4 = Math.ceil(n / 4) * 4;
    this.#ensure(4 * n4);
    const heap = this.#heap;
    heap.set(logits, 0);
    if (n4 > n) heap.fill(Number.NEGATIVE_INFINITY, n, n4);
    this.#x.logSumExp(RESULTS, 4 * n4);
    const max = this.#maxima[0]!;
    if (max === Number.NEGATIVE_INFINITY) return max;
    if (!(max < Number.POSITIVE_INFINITY)) return Number.NaN; // NaN or +Infinity, as the JavaScript version
    return max + Math.log(this.#sums[0]!);
  }

  #setAlpha(alpha: number): void {
    if (alpha === this.#lastAlpha) return;
    this.#lastAlpha = alpha;
    this.#threshold = float32AtLeast(alpha);
    // the float32 exp is within 2 ulp, and a - max is rounded to float32 first: a band of
    // 1e-6 (1 + |ln alpha|) around the threshold holds every token the two kernels could disagree on
    const band = 1e-6 * (1 + Math.abs(Math.log(alpha)));
    this.#lo = Math.fround(this.#threshold * (1 - band));
    this.#hi = Math.fround(this.#threshold * (1 + band));
  }

  /** The steering of one position into `out`; false when the JavaScript kernel must take it. */
  steer(adapted: Float32Array, base: Float32Array, alpha: number, out: SteeringBuffers): boolean {
    const n = adapted.length;
    this.#prepare(n);
    const x = this.#x;
    const n4 = this.#n4;
    const heap = this.#heap;
    const bytes = 4 * n4;
    heap.set(adapted, 0);
    heap.set(base, n4);
    if (n4 > n) {
      heap.fill(Number.NEGATIVE_INFINITY, n, n4);
      heap.fill(Number.NEGATIVE_INFINITY, n4 + n, 2 * n4);
    }
    const a = RESULTS;
    const b = a + bytes;
    const e = b + bytes;
    x.maxima(a, b, bytes);
    const maxA = this.#maxima[0]!;
    const maxB = this.#maxima[1]!;
    // NaN, +Infinity or an all -Infinity adapted side: the JavaScript kernel reports it
    if (!(maxA > Number.NEGATIVE_INFINITY && maxA < Number.POSITIVE_INFINITY)) return false;
    if (!(maxB > Number.NEGATIVE_INFINITY && maxB < Number.POSITIVE_INFINITY)) return false;
    x.sums(a, b, e, bytes, maxA, maxB);
    const sums = this.#sums;
    // base-banned tokens have r near 1e4, which float32 cannot carry to 1e-5: the JavaScript kernel
    if (sums[4]! > 0) return false;
    const sumA = sums[0]!;
    const logSumA = Math.log(sumA);
    const logSumB = Math.log(sums[1]!);
    // KL = sum p (a - logZA - b + logZB), with the sums taken over a - maxA and b - maxB
    const kl = (sums[2]! - sums[3]!) / sumA + logSumB - logSumA;
    const shift = maxB + logSumB - (maxA + logSumA);
    this.#setAlpha(alpha);
    x.finish(a, b, e, e + bytes, bytes, kl, shift, 1 / sumA, this.#threshold, this.#lo, this.#hi);
    let kept = this.#counts[0]!;
    const mask = this.#mask;
    if (this.#counts[1]! > 0) {
      for (let i = 0; i < n; i++) {
        const m = mask[i]!;
        if (m < 2) continue;
        const keep = Math.fround(Math.exp(adapted[i]! - maxA)) >= alpha ? 1 : 0;
        kept += keep - (m & 1);
        mask[i] = keep;
      }
    }
    out.delta.set(this.#delta);
    out.mask.set(mask);
    const result = out as Steering;
    result.kl = kl;
    result.logZ = maxA + logSumA;
    result.kept = kept;
    return true;
  }
}

let kernel: WasmSteeringKernel | null | undefined;

/** The WebAssembly kernel, made on first use; null where WebAssembly SIMD is not available. */
export function wasmSteeringKernel(): WasmSteeringKernel | null {
  if (kernel !== undefined) return kernel;
  try {
    const bytes = Uint8Array.from(atob(STEERING_KERNEL_WASM), (c) => c.charCodeAt(0));
    const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    kernel = wasm?.validate(bytes) ? new WasmSteeringKernel(wasm, new wasm.Module(bytes)) : null;
  } catch {
    kernel = null; // no WebAssembly, or no SIMD: the JavaScript kernel does the work
  }
  return kernel;
}
