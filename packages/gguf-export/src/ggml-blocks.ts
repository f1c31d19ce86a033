import { float32ToF16, QUANT_BLOCK, quantizeRows } from '@svdecode/hf-io';

/**
 * ggml's block-quantized tensor encodings we write, from hf-io's `quantizeRows` levels (llama.cpp's
 * own Q8_0 / Q4_0 rules): per block of 32 along a row, the scale as float16, then
 * - Q8_0: 32 signed bytes (34 bytes a block);
 * - Q4_0: 16 bytes, byte j = (level j + 8) | (level j + 16 + 8) << 4 (18 bytes a block).
 */
export const BLOCK_BYTES = { Q8_0: 34, Q4_0: 18 } as const;
export type GgmlBlockType = keyof typeof BLOCK_BYTES;

export function encodeBlocks(
  type: GgmlBlockType,
  values: Float32Array,
  rows: number,
  cols: number,
  name: string,
): Uint8Array {
  const q = quantizeRows(values, rows, cols, type === 'Q8_0' ? 8 : 4, name);
  const scales = float32ToF16(q.scales);
  const blocks = q.scales.length;
  const size = BLOCK_BYTES[type];
  const out = new Uint8Array(blocks * size);
  for (let b = 0; b < blocks; b++) {
    const at = b * size;
    const scale = scales[b]!;
    out[at] = scale & 0xff;
    out[at + 1] = scale >> 8;
    const first = b * QUANT_BLOCK;
    if (type === 'Q8_0') {
      for (let j = 0; j < QUANT_BLOCK; j++) out[at + 2 + j] = q.levels[first + j]! & 0xff;
    } else {
      for (let j = 0; j < QUANT_BLOCK / 2; j++)
        out[at + 2 + j] = (q.levels[first + j]! + 8) | ((q.levels[first + j + QUANT_BLOCK / 2]! + 8) << 4);
    }
  }
  return out;
}
