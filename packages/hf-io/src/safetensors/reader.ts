import type { FileHandle } from 'node:fs/promises';
import { open, stat } from 'node:fs/promises';
import { SvdecodeError } from '@svdecode/core';
import { checkShape, type TensorData, toFloat32 } from './convert.js';
import { DTYPE_BYTES, viewAs } from './dtypes.js';
import { parseHeader, readHeaderLength, type SafetensorsHeader, type TensorInfo } from './header.js';

/** Reads at most this many bytes per read() call (Node caps a single read near 2 GiB). */
const READ_CHUNK = 256 * 1024 * 1024;

function missing(name: string, source: string): never {
  throw new SvdecodeError('TENSOR_NOT_FOUND', `${source}: no tensor named "${name}"`, {
    details: { file: source, tensor: name },
  });
}

/**
 * A safetensors file opened for lazy reads: the header is parsed and validated up front, and each
 * tensor is read straight from disk into its own typed array when asked for, so a large file is
 * never held twice in memory.
 */
export class SafetensorsFile {
  private constructor(
    readonly path: string,
    private handle: FileHandle | undefined,
    readonly header: SafetensorsHeader,
    readonly fileSize: number,
  ) {}

  static async open(path: string): Promise<SafetensorsFile> {
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch (error) {
      throw new SvdecodeError(
        'FILE_NOT_FOUND',
        `${path}: cannot read safetensors file (${(error as Error).message})`,
        {
          details: { file: path },
          cause: error,
        },
      );
    }
    const handle = await open(path, 'r');
    try {
      const prefix = new Uint8Array(Math.min(8, size));
      await readFully(handle, prefix, 0, path);
      const headerLength = readHeaderLength(prefix, size, path);
      const headerBytes = new Uint8Array(headerLength);
      await readFully(handle, headerBytes, 8, path);
      return new SafetensorsFile(path, handle, parseHeader(headerBytes, size, path), size);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  get metadata(): Record<string, string> {
    return this.header.metadata;
  }

  names(): string[] {
    return this.header.tensors.map((t) => t.name);
  }

  has(name: string): boolean {
    return this.header.byName.has(name);
  }

  info(name: string): TensorInfo {
    return this.header.byName.get(name) ?? missing(name, this.path);
  }

  async read(name: string): Promise<TensorData> {
    const info = this.info(name);
    if (!this.handle) throw new SvdecodeError('BAD_ARGUMENT', `${this.path}: file is closed`);
    const buffer = new ArrayBuffer(info.end - info.begin);
    await readFully(this.handle, new Uint8Array(buffer), this.header.dataStart + info.begin, this.path);
    return {
      name,
      dtype: info.dtype,
      shape: [...info.shape],
      data: viewAs(info.dtype, buffer, 0, buffer.byteLength),
    };
  }

  /** The tensor as float32 values; with `expectShape`, a WEIGHT_SHAPE_MISMATCH names both shapes. */
  async readFloat32(name: string, expectShape?: readonly number[]): Promise<Float32Array> {
    if (expectShape) checkShape(name, this.info(name).shape, expectShape, this.path);
    return toFloat32(await this.read(name));
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }
}

async function readFully(
  handle: FileHandle,
  target: Uint8Array,
  position: number,
  source: string,
): Promise<void> {
  let done = 0;
  while (done < target.length) {
    const length = Math.min(READ_CHUNK, target.length - done);
    const { bytesRead } = await handle.read(target, done, length, position + done);
    if (bytesRead === 0) {
      throw new SvdecodeError(
        'SAFETENSORS_TRUNCATED',
        `${source}: file ended after ${position + done} bytes`,
        {
          details: { file: source },
        },
      );
    }
    done += bytesRead;
  }
}

/** Reads every tensor of a file. */
export async function readSafetensors(path: string): Promise<Map<string, TensorData>> {
  const file = await SafetensorsFile.open(path);
  try {
    const out = new Map<string, TensorData>();
    for (const name of file.names()) out.set(name, await file.read(name));
    return out;
  } finally {
    await file.close();
  }
}

/** A safetensors image already in memory (a fetched buffer, a test fixture). */
export class SafetensorsBuffer {
  readonly header: SafetensorsHeader;

  constructor(
    readonly bytes: Uint8Array,
    readonly source = '<buffer>',
  ) {
    const headerLength = readHeaderLength(bytes.subarray(0, 8), bytes.length, source);
    this.header = parseHeader(bytes.subarray(8, 8 + headerLength), bytes.length, source);
  }

  get metadata(): Record<string, string> {
    return this.header.metadata;
  }

  names(): string[] {
    return this.header.tensors.map((t) => t.name);
  }

  info(name: string): TensorInfo {
    return this.header.byName.get(name) ?? missing(name, this.source);
  }

  /**
   * The tensor's data. Aligned data is a view into `bytes` (no copy); unaligned data, which a
   * typed array cannot view, is copied.
   */
  get(name: string): TensorData {
    const info = this.info(name);
    const offset = this.bytes.byteOffset + this.header.dataStart + info.begin;
    const length = info.end - info.begin;
    const data =
      offset % DTYPE_BYTES[info.dtype] === 0
        ? viewAs(info.dtype, this.bytes.buffer, offset, length)
        : viewAs(
            info.dtype,
            this.bytes.slice(offset - this.bytes.byteOffset, offset - this.bytes.byteOffset + length).buffer,
            0,
            length,
          );
    return { name, dtype: info.dtype, shape: [...info.shape], data };
  }

  getFloat32(name: string): Float32Array {
    return toFloat32(this.get(name));
  }
}

/** Parses a safetensors image held in memory. */
export function parseSafetensors(bytes: Uint8Array, source?: string): SafetensorsBuffer {
  return new SafetensorsBuffer(bytes, source);
}
