import { quantizeRows } from '@svdecode/hf-io';
import type { GraphBuilder } from './graph.js';

/** How the exporter quantizes weights: 4 or 8 bits, blocks of 32 along the input dimension. */
export interface WeightQuantization {
  bits: 4 | 8;
  /**
   * onnxruntime's `accuracy_level` for MatMulNBits: 4 quantizes activations to int8 per block and
   * accumulates in int32 (the fast CPU path), 0 computes in float32 (default 4).
   */
  accuracyLevel?: 0 | 1 | 4;
  /** Values per block along a row (default 32, llama.cpp's; MatMulNBits also takes 16). */
  blockSize?: 16 | 32;
  /** Bits of the LM head (default: `bits`); 8 keeps the output matrix at higher precision. */
  headBits?: 4 | 8;
}

/**
 * `x W^T` for a weight `w` [out, in] (checkpoint layout) as onnxruntime's `MatMulNBits`
 * (com.microsoft): the levels of hf-io's `quantizeRows` (llama.cpp's Q4_0 / Q8_0 rules) stored
 * unsigned with MatMulNBits's default zero point (8 or 128), packed [out, in / 32, 32 * bits / 8]
 * (4 bits: the even element of a pair in the low nibble), float32 scales [out * in / 32]. Any
 * input dimension works: the last block of a row is padded with zeros.
 */
export function weightOnlyMatMul(
  g: GraphBuilder,
  x: string,
  name: string,
  w: Float32Array,
  [outDim, inDim]: [number, number],
  quantization: WeightQuantization,
): string {
  const { bits } = quantization;
  const size = quantization.blockSize ?? 32;
  // MatMulNBits pads a row's last block: rows whose length does not divide by the block get zeros
  // (level 0, stored as the zero point), which change neither the block's scale nor the product
  const blocks = Math.ceil(inDim / size);
  const q = quantizeRows(padRows(w, outDim, inDim, blocks * size), outDim, blocks * size, bits, name, size);
  const blob = (size * bits) / 8;
  const packed = new Uint8Array(outDim * blocks * blob);
  if (bits === 8) {
    for (let i = 0; i < q.levels.length; i++) packed[i] = q.levels[i]! + 128;
  } else {
    for (let i = 0; i < packed.length; i++)
      packed[i] = (q.levels[2 * i]! + 8) | ((q.levels[2 * i + 1]! + 8) << 4);
  }
  const b = g.bytes(`${name}.q${bits}`, packed, [outDim, blocks, blob]);
  const scales = g.weight(`${name}.scales`, q.scales, [outDim * blocks]);
  return g.contrib('MatMulNBits', [x, b, scales], {
    K: inDim,
    N: outDim,
    bits,
    block_size: size,
    accuracy_level: quantization.accuracyLevel ?? 4,
  });
}

function padRows(w: Float32Array, rows: number, cols: number, padded: number): Float32Array {
  if (padded === cols) return w;
  const out = new Float32Array(rows * padded);
  for (let r = 0; r < rows; r++) out.set(w.subarray(r * cols, (r + 1) * cols), r * padded);
  return out;
}
