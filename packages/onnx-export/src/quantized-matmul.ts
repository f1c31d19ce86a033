import { quantizeRows, quantizeRowsAsymmetric } from '@svdecode/hf-io';
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
  /**
   * Store the embedding table quantized too (onnxruntime's `GatherBlockQuantized`), when its rows
   * divide into blocks: the file shrinks by most of the table; off by default (the accuracy
   * tables were measured without it).
   */
  embeddings?: boolean;
  /** Asymmetric blocks with a zero point each (MatMulNBits's `zero_points`); default symmetric. */
  zeroPoints?: boolean;
}

/**
 * `x W^T` for a weight `w` [out, in] (checkpoint layout) as onnxruntime's `MatMulNBits`
 * (com.microsoft): the levels of hf-io's `quantizeRows` (llama.cpp's Q4_0 / Q8_0 rules) stored
 * unsigned with MatMulNBits's default zero point (8 or 128), packed [out, in / 32, 32 * bits / 8]
 * (4 bits: the even element of a pair in the low nibble), float32 scales [out * in / 32]. Any
 * input dimension works: the last block of a row is padded with zeros.
 */
/** Levels of a [rows, cols] matrix packed as MatMulNBits and GatherBlockQuantized read uint8 data. */
function packLevels(levels: Int8Array, bits: 4 | 8): Uint8Array {
  if (bits === 8) return Uint8Array.from(levels, (l) => l + 128);
  const packed = new Uint8Array(levels.length / 2);
  for (let i = 0; i < packed.length; i++) packed[i] = (levels[2 * i]! + 8) | ((levels[2 * i + 1]! + 8) << 4);
  return packed;
}

/**
 * An embedding lookup on a block-quantized table (`GatherBlockQuantized`, com.microsoft): the same
 * levels and uint8 packing as `weightOnlyMatMul` (MatMulNBits's conventions: default zero point 8 or
 * 128), gathered along rows, blocks along each row. Undefined when the rows do not divide into
 * blocks (the caller keeps the float32 table).
 */
export function quantizedGather(
  g: GraphBuilder,
  ids: string,
  name: string,
  table: Float32Array,
  [rows, cols]: [number, number],
  quantization: WeightQuantization,
): string | undefined {
  const size = quantization.blockSize ?? 32;
  if (cols % size !== 0) return undefined;
  const { bits } = quantization;
  const q = quantizeRows(table, rows, cols, bits, name, size);
  const data = g.bytes(`${name}.q${bits}`, packLevels(q.levels, bits), [rows, (cols * bits) / 8]);
  const scales = g.weight(`${name}.scales`, q.scales, [rows, cols / size]);
  return g.contrib('GatherBlockQuantized', [data, ids, scales], {
    gather_axis: 0,
    quantize_axis: 1,
    block_size: size,
    bits,
  });
}

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
  const padded = padRows(w, outDim, inDim, blocks * size);
  const blob = (size * bits) / 8;
  const inputs = [x];
  if (quantization.zeroPoints) {
    const q = quantizeRowsAsymmetric(padded, outDim, blocks * size, bits, name, size);
    inputs.push(
      g.bytes(`${name}.q${bits}`, packUnsigned(q.levels, bits), [outDim, blocks, blob]),
      g.weight(`${name}.scales`, q.scales, [outDim * blocks]),
      // zero points: a row's blocks packed like its levels, each row padded to whole bytes
      g.bytes(`${name}.zero_points`, packZeroPoints(q.zeroPoints, outDim, blocks, bits), [
        outDim * Math.ceil((blocks * bits) / 8),
      ]),
    );
  } else {
    const q = quantizeRows(padded, outDim, blocks * size, bits, name, size);
    inputs.push(
      g.bytes(`${name}.q${bits}`, packLevels(q.levels, bits), [outDim, blocks, blob]),
      g.weight(`${name}.scales`, q.scales, [outDim * blocks]),
    );
  }
  return g.contrib('MatMulNBits', inputs, {
    K: inDim,
    N: outDim,
    bits,
    block_size: size,
    accuracy_level: quantization.accuracyLevel ?? 4,
  });
}

/** Unsigned levels packed as MatMulNBits reads them (4 bits: the even element in the low nibble). */
function packUnsigned(levels: Uint8Array, bits: 4 | 8): Uint8Array {
  if (bits === 8) return levels;
  const packed = new Uint8Array(levels.length / 2);
  for (let i = 0; i < packed.length; i++) packed[i] = levels[2 * i]! | (levels[2 * i + 1]! << 4);
  return packed;
}

function packZeroPoints(zeroPoints: Uint8Array, rows: number, blocks: number, bits: 4 | 8): Uint8Array {
  if (bits === 8) return zeroPoints;
  const perRow = Math.ceil(blocks / 2);
  const out = new Uint8Array(rows * perRow);
  for (let r = 0; r < rows; r++)
    for (let b = 0; b < blocks; b++)
      out[r * perRow + (b >> 1)]! |= zeroPoints[r * blocks + b]! << (4 * (b & 1));
  return out;
}

function padRows(w: Float32Array, rows: number, cols: number, padded: number): Float32Array {
  if (padded === cols) return w;
  const out = new Float32Array(rows * padded);
  for (let r = 0; r < rows; r++) out.set(w.subarray(r * cols, (r + 1) * cols), r * padded);
  return out;
}
