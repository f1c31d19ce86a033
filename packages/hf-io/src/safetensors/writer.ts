import { type FileHandle, open } from 'node:fs/promises';
import { SvdecodeError } from '@svdecode/core';
import { stageFile } from '../staging.js';
import { DTYPE_BYTES, type Dtype, type TensorArray } from './dtypes.js';
import { float32ToBf16, float32ToF16 } from './float16.js';

/**
 * A tensor to write. `data` is the dtype's typed array, or plain numbers (converted; F16/BF16 take
 * float values, rounded to nearest even; a Uint16Array is taken as raw F16/BF16 bits).
 */
export interface TensorInput {
  dtype: Dtype;
  shape: readonly number[];
  data: TensorArray | ArrayLike<number>;
}

interface Prepared {
  name: string;
  dtype: Dtype;
  shape: number[];
  bytes: Uint8Array;
}

function prepare(name: string, t: TensorInput): Prepared {
  if (!t || typeof t.dtype !== 'string' || !(t.dtype in DTYPE_BYTES)) {
    throw new SvdecodeError('BAD_ARGUMENT', `tensor "${name}": unknown dtype ${JSON.stringify(t?.dtype)}`);
  }
  const shape = [...t.shape];
  const elements = shape.reduce((a, b) => a * b, 1);
  if (t.data.length !== elements) {
    throw new SvdecodeError(
      'BAD_ARGUMENT',
      `tensor "${name}": shape [${shape.join(', ')}] needs ${elements} values, got ${t.data.length}`,
    );
  }
  const typed = toTyped(t.dtype, t.data);
  return {
    name,
    dtype: t.dtype,
    shape,
    bytes: new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength),
  };
}

function toTyped(dtype: Dtype, data: TensorArray | ArrayLike<number>): TensorArray {
  const numbers = data as ArrayLike<number>;
  switch (dtype) {
    case 'F32':
      return data instanceof Float32Array ? data : Float32Array.from(numbers);
    case 'F64':
      return data instanceof Float64Array ? data : Float64Array.from(numbers);
    case 'F16':
      return data instanceof Uint16Array ? data : float32ToF16(numbers);
    case 'BF16':
      return data instanceof Uint16Array ? data : float32ToBf16(numbers);
    case 'I64':
      return data instanceof BigInt64Array ? data : BigInt64Array.from(Array.from(numbers, (v) => BigInt(v)));
    case 'U64':
      return data instanceof BigUint64Array
        ? data
        : BigUint64Array.from(Array.from(numbers, (v) => BigInt(v)));
    case 'I32':
      return data instanceof Int32Array ? data : Int32Array.from(numbers);
    case 'U32':
      return data instanceof Uint32Array ? data : Uint32Array.from(numbers);
    case 'I16':
      return data instanceof Int16Array ? data : Int16Array.from(numbers);
    case 'U16':
      return data instanceof Uint16Array ? data : Uint16Array.from(numbers);
    case 'I8':
      return data instanceof Int8Array ? data : Int8Array.from(numbers);
    default:
      return data instanceof Uint8Array ? data : Uint8Array.from(numbers);
  }
}

/** Header bytes (space-padded to a multiple of 8) and tensors in data order, as the reference writer lays them out. */
function layout(
  tensors: Record<string, TensorInput>,
  metadata?: Record<string, string>,
): { header: Uint8Array; parts: Prepared[] } {
  const parts = Object.entries(tensors)
    .map(([name, t]) => prepare(name, t))
    .sort(
      (a, b) =>
        DTYPE_BYTES[b.dtype] - DTYPE_BYTES[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
    );
  const json: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) json.__metadata__ = metadata;
  let offset = 0;
  for (const p of parts) {
    json[p.name] = { dtype: p.dtype, shape: p.shape, data_offsets: [offset, offset + p.bytes.length] };
    offset += p.bytes.length;
  }
  let text = JSON.stringify(json);
  const encoder = new TextEncoder();
  const pad = (8 - (encoder.encode(text).length % 8)) % 8;
  text += ' '.repeat(pad);
  return { header: encoder.encode(text), parts };
}

function lengthPrefix(n: number): Uint8Array {
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(n), true);
  return prefix;
}

/** The whole file image in memory. */
export function serializeSafetensors(
  tensors: Record<string, TensorInput>,
  metadata?: Record<string, string>,
): Uint8Array {
  const { header, parts } = layout(tensors, metadata);
  const total = 8 + header.length + parts.reduce((a, p) => a + p.bytes.length, 0);
  const out = new Uint8Array(total);
  out.set(lengthPrefix(header.length), 0);
  out.set(header, 8);
  let at = 8 + header.length;
  for (const p of parts) {
    out.set(p.bytes, at);
    at += p.bytes.length;
  }
  return out;
}

/**
 * Writes a safetensors file tensor by tensor (no whole-file buffer) to a temporary name in the same
 * directory, then renames it into place: a crash never leaves a partial file under `path`.
 */
export async function writeSafetensors(
  path: string,
  tensors: Record<string, TensorInput>,
  metadata?: Record<string, string>,
): Promise<void> {
  const { header, parts } = layout(tensors, metadata);
  await stageFile(path, async (temp) => {
    const handle = await open(temp, 'w');
    try {
      await writeFully(handle, lengthPrefix(header.length));
      await writeFully(handle, header);
      for (const p of parts) await writeFully(handle, p.bytes);
      await handle.sync();
    } finally {
      await handle.close().catch(() => {});
    }
  });
}

async function writeFully(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  const CHUNK = 256 * 1024 * 1024;
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, done, Math.min(CHUNK, bytes.length - done));
    done += bytesWritten;
  }
}
