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

/** The float matrix a quantized one stands for (`level * scale`): tests and accuracy references. */
export function dequantizeRows(q: BlockQuantized, scales: ArrayLike<number> = q.scales): Float32Array {
  const out = new Float32Array(q.rows * q.cols);
  for (let i = 0; i < out.length; i++) out[i] = q.levels[i]! * scales[Math.floor(i / q.block)]!;
  return out;
}

function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}
