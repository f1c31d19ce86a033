import { SvdecodeError } from '@svdecode/core';

/** Elements per quantization block (llama.cpp's QK4_0 / QK8_0; onnxruntime's MatMulNBits block_size). */
export const QUANT_BLOCK = 32;

/** A matrix quantized block by block along its rows. */
export interface BlockQuantized {
  rows: number;
  cols: number;
  bits: 4 | 8;
  /** Signed levels, row-major like the matrix: [-8, 7] for 4 bits, [-127, 127] for 8. */
  levels: Int8Array;
  /** One scale per block, row-major ([rows, cols / block]): a value is `level * scale`. */
  scales: Float32Array;
  /** Values per block (`QUANT_BLOCK`, 32, unless asked otherwise). */
  block: number;
}

/**
 * Symmetric block quantization of a row-major [rows, cols] float matrix along its rows, blocks of
 * 32: llama.cpp's Q4_0 and Q8_0 rules, which onnxruntime's MatMulNBits reads as well (its default
 * zero point, 8 or 128, is the same symmetric grid).
 * - 4 bits: the block's value of largest magnitude `m` maps to -8 (`scale = m / -8`); a level is
 *   `min(7, floor(x / scale + 8.5) - 8)`.
 * - 8 bits: `scale = max |x| / 127`; a level is `round(x / scale)` (halves away from zero, as C's roundf).
 * An all-zero block has scale 0 and levels 0. `cols` must be a multiple of the block (32 unless
 * `block` says otherwise: MatMulNBits also reads 16; QUANT_SHAPE otherwise).
 */
export function quantizeRows(
  data: Float32Array,
  rows: number,
  cols: number,
  bits: 4 | 8,
  what = 'matrix',
  block = QUANT_BLOCK,
): BlockQuantized {
  checkShape(data, rows, cols, bits, what, block);
  const blocks = cols / block;
  const levels = new Int8Array(rows * cols);
  const scales = new Float32Array(rows * blocks);
  for (let b = 0; b < rows * blocks; b++) {
    const start = b * block; // blocks tile each row, and rows follow each other
    let signedMax = 0;
    let absMax = 0;
    for (let i = start; i < start + block; i++) {
      const a = Math.abs(data[i]!);
      if (a > absMax) {
        absMax = a;
        signedMax = data[i]!;
      }
    }
    const scale = bits === 4 ? signedMax / -8 : absMax / 127;
    scales[b] = scale;
    if (scale === 0) continue;
    const inv = 1 / scale;
    for (let i = start; i < start + block; i++) {
      levels[i] =
        bits === 4 ? Math.min(7, Math.floor(data[i]! * inv + 8.5) - 8) : roundHalfAway(data[i]! * inv);
    }
  }
  return { rows, cols, bits, levels, scales, block };
}

/** Rows that divide into blocks (QUANT_SHAPE otherwise) and data of the matrix's size. */
function checkShape(
  data: Float32Array,
  rows: number,
  cols: number,
  bits: 4 | 8,
  what: string,
  block: number,
): void {
  if (cols % block !== 0) {
    throw new SvdecodeError(
      'QUANT_SHAPE',
      `${what} has rows of ${cols} values, not a multiple of the ${block}-value quantization block`,
      {
        hint: `${bits}-bit block quantization needs every quantized matrix's input dimension divisible by ${block}; export this model in fp32 (or fp16 for GGUF).`,
        details: { what, rows, cols, block },
      },
    );
  }
  if (data.length !== rows * cols) {
    throw new SvdecodeError('BAD_ARGUMENT', `${what}: ${data.length} values for a ${rows} x ${cols} matrix`);
  }
}

/** The float matrix a quantized one stands for (`level * scale`): tests and accuracy references. */
export function dequantizeRows(q: BlockQuantized, scales: ArrayLike<number> = q.scales): Float32Array {
  const out = new Float32Array(q.rows * q.cols);
  for (let i = 0; i < out.length; i++) out[i] = q.levels[i]! * scales[Math.floor(i / q.block)]!;
  return out;
}

function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** A matrix quantized block by block with a zero point per block (asymmetric). */
export interface AsymmetricBlockQuantized {
  rows: number;
  cols: number;
  bits: 4 | 8;
  /** Unsigned levels, row-major: [0, 15] for 4 bits, [0, 255] for 8. */
  levels: Uint8Array;
  /** One zero point per block (a level): a value is `(level - zeroPoint) * scale`. */
  zeroPoints: Uint8Array;
  scales: Float32Array;
  block: number;
}

/**
 * Asymmetric block quantization along rows (onnxruntime's quantizer's rule for MatMulNBits with
 * zero points): per block, the range [min(x, 0), max(x, 0)] in 2^bits - 1 steps, the zero point
 * the level of 0 (so 0 stays exact), levels clamped. Uses the whole grid where the symmetric rule
 * leaves one side's levels unused.
 */
export function quantizeRowsAsymmetric(
  data: Float32Array,
  rows: number,
  cols: number,
  bits: 4 | 8,
  what = 'matrix',
  block = QUANT_BLOCK,
): AsymmetricBlockQuantized {
  checkShape(data, rows, cols, bits, what, block);
  const top = 2 ** bits - 1;
  const blocks = (rows * cols) / block;
  const levels = new Uint8Array(rows * cols);
  const zeroPoints = new Uint8Array(blocks);
  const scales = new Float32Array(blocks);
  for (let b = 0; b < blocks; b++) {
    const start = b * block;
    let lo = 0;
    let hi = 0;
    for (let i = start; i < start + block; i++) {
      lo = Math.min(lo, data[i]!);
      hi = Math.max(hi, data[i]!);
    }
    const scale = (hi - lo) / top;
    scales[b] = scale;
    if (scale === 0) continue; // an all-zero block: zero point 0, levels 0
    const zero = Math.min(top, Math.max(0, Math.round(-lo / scale)));
    zeroPoints[b] = zero;
    for (let i = start; i < start + block; i++)
      levels[i] = Math.min(top, Math.max(0, Math.round(data[i]! / scale) + zero));
  }
  return { rows, cols, bits, levels, zeroPoints, scales, block };
}

/** The float matrix an asymmetric quantization stands for (`(level - zeroPoint) * scale`). */
export function dequantizeRowsAsymmetric(q: AsymmetricBlockQuantized): Float32Array {
  const out = new Float32Array(q.rows * q.cols);
  for (let i = 0; i < out.length; i++) {
    const b = Math.floor(i / q.block);
    out[i] = (q.levels[i]! - q.zeroPoints[b]!) * q.scales[b]!;
  }
  return out;
}
