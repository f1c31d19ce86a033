import { open } from 'node:fs/promises';
import { SvdecodeError } from '@svdecode/core';
import { float32ToF16, QUANT_BLOCK, stageFile } from '@svdecode/hf-io';
import { BLOCK_BYTES, encodeBlocks, type GgmlBlockType } from './ggml-blocks.js';

/** GGUF value types (the numbers are the format's). */
const T = { u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9, u64: 10 } as const;

/** One metadata value, typed as the file stores it. */
export type GgufValue =
  | { type: 'u32' | 'i32' | 'f32' | 'u64'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'array'; of: 'string'; value: readonly string[] }
  | { type: 'array'; of: 'i32' | 'f32'; value: ArrayLike<number> };

export const gguf = {
  u32: (value: number): GgufValue => ({ type: 'u32', value }),
  i32: (value: number): GgufValue => ({ type: 'i32', value }),
  f32: (value: number): GgufValue => ({ type: 'f32', value }),
  bool: (value: boolean): GgufValue => ({ type: 'bool', value }),
  string: (value: string): GgufValue => ({ type: 'string', value }),
  strings: (value: readonly string[]): GgufValue => ({ type: 'array', of: 'string', value }),
  i32s: (value: ArrayLike<number>): GgufValue => ({ type: 'array', of: 'i32', value }),
  f32s: (value: ArrayLike<number>): GgufValue => ({ type: 'array', of: 'f32', value }),
};

/** Tensor element types we write (GGML type ids 0, 1, 8 and 2). */
export type GgufTensorType = 'F32' | 'F16' | GgmlBlockType;
const GGML_TYPE: Record<GgufTensorType, number> = { F32: 0, F16: 1, Q8_0: 8, Q4_0: 2 };

/** Bytes a tensor of this shape and type takes (block types: whole blocks of 32 along ne[0]). */
function byteSize(t: GgufTensor): number {
  const n = elementCount(t);
  if (t.type === 'F32') return 4 * n;
  if (t.type === 'F16') return 2 * n;
  return (n / QUANT_BLOCK) * BLOCK_BYTES[t.type];
}

/** The bytes of a tensor as the file stores them. */
function encode(t: GgufTensor, values: Float32Array): Uint8Array {
  if (t.type === 'F32') return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  if (t.type === 'F16') {
    const half = float32ToF16(values);
    return new Uint8Array(half.buffer, half.byteOffset, half.byteLength);
  }
  const cols = t.shape[t.shape.length - 1]!;
  return encodeBlocks(t.type, values, values.length / cols, cols, t.name);
}

/**
 * A tensor to write. `shape` is row-major as in safetensors ([out, in] for a linear weight); the file
 * stores the dimensions reversed (ggml's ne[0] is the fastest-moving one). `data` is read when the
 * tensor is written, so large models are never held whole.
 */
export interface GgufTensor {
  name: string;
  shape: readonly number[];
  type: GgufTensorType;
  data: () => Promise<Float32Array>;
}

export const GGUF_ALIGNMENT = 32;
const align = (n: number) => Math.ceil(n / GGUF_ALIGNMENT) * GGUF_ALIGNMENT;

/** Little-endian byte builder for the header. */
class Bytes {
  #chunks: Buffer[] = [];
  length = 0;
  #push(b: Buffer) {
    this.#chunks.push(b);
    this.length += b.length;
  }
  u32(x: number) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(x);
    this.#push(b);
  }
  i32(x: number) {
    const b = Buffer.alloc(4);
    b.writeInt32LE(x);
    this.#push(b);
  }
  f32(x: number) {
    const b = Buffer.alloc(4);
    b.writeFloatLE(x);
    this.#push(b);
  }
  u64(x: number) {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(x));
    this.#push(b);
  }
  u8(x: number) {
    this.#push(Buffer.of(x));
  }
  string(s: string) {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.#push(b);
  }
  pad(to: number) {
    if (to > this.length) this.#push(Buffer.alloc(to - this.length));
  }
  buffer() {
    return Buffer.concat(this.#chunks);
  }
}

function writeValue(out: Bytes, key: string, v: GgufValue): void {
  if (v.type === 'array') {
    out.u32(T.array);
    out.u32(T[v.of]);
    out.u64(v.value.length);
    for (let i = 0; i < v.value.length; i++) {
      const x = v.value[i]!;
      if (v.of === 'string') out.string(x as string);
      else if (v.of === 'i32') out.i32(x as number);
      else out.f32(x as number);
    }
    return;
  }
  out.u32(T[v.type]);
  if (v.type === 'u32') out.u32(v.value);
  else if (v.type === 'i32') out.i32(v.value);
  else if (v.type === 'f32') out.f32(v.value);
  else if (v.type === 'u64') out.u64(v.value);
  else if (v.type === 'bool') out.u8(v.value ? 1 : 0);
  else if (v.type === 'string') out.string(v.value);
  else throw new SvdecodeError('BAD_ARGUMENT', `GGUF metadata ${key}: unknown value type`);
}

function elementCount(t: GgufTensor): number {
  return t.shape.reduce((a, d) => a * d, 1);
}

/**
 * Writes a GGUF (version 3) file: metadata in the given order, then the tensors, each aligned to 32
 * bytes. Staged beside `path` and renamed when complete, so a failure leaves nothing behind.
 */
export async function writeGguf(
  path: string,
  metadata: ReadonlyArray<readonly [string, GgufValue]>,
  tensors: readonly GgufTensor[],
): Promise<void> {
  const header = new Bytes();
  header.u32(0x46554747); // "GGUF"
  header.u32(3);
  header.u64(tensors.length);
  header.u64(metadata.length);
  for (const [key, value] of metadata) {
    header.string(key);
    writeValue(header, key, value);
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    header.string(t.name);
    header.u32(t.shape.length);
    for (let d = t.shape.length - 1; d >= 0; d--) header.u64(t.shape[d]!);
    header.u32(GGML_TYPE[t.type]);
    header.u64(offset);
    offsets.push(offset);
    offset = align(offset + byteSize(t));
  }
  header.pad(align(header.length));
  const head = header.buffer();
  await stageFile(path, async (temp) => {
    const file = await open(temp, 'w');
    try {
      await file.write(head, 0, head.length, 0);
      for (const [i, t] of tensors.entries()) {
        const values = await t.data();
        if (values.length !== elementCount(t)) {
          throw new SvdecodeError(
            'WEIGHT_SHAPE_MISMATCH',
            `${t.name}: ${values.length} values for shape [${t.shape.join(', ')}]`,
            { details: { tensor: t.name, shape: t.shape, values: values.length } },
          );
        }
        const bytes = encode(t, values);
        await file.write(bytes, 0, bytes.length, head.length + offsets[i]!);
      }
      // the last tensor's padding, so that the file size is what the offsets promise
      const end = head.length + offset;
      await file.truncate(end);
    } finally {
      await file.close();
    }
  });
}
