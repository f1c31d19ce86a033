import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SvdecodeError } from '@svdecode/core';
import { describe, expect, it } from 'vitest';
import {
  bf16BitsToFloat,
  type Dtype,
  f16BitsToFloat,
  floatToBf16Bits,
  floatToF16Bits,
  parseSafetensors,
  readSafetensors,
  SafetensorsFile,
  serializeSafetensors,
  type TensorInput,
  writeSafetensors,
} from '../src/index.js';
import { HF_FIXTURES, rawSafetensors, tempDir, writeTemp } from './helpers.js';

const ALL: Record<string, TensorInput> = {
  f32: { dtype: 'F32', shape: [2, 3], data: Float32Array.from([1.5, -2, 0, 3.25, 1e-30, -7e20]) },
  f64: { dtype: 'F64', shape: [2], data: Float64Array.from([Math.PI, -1e300]) },
  f16: { dtype: 'F16', shape: [4], data: [1, -0.5, 65504, 2 ** -24] },
  bf16: { dtype: 'BF16', shape: [3], data: [1, -2.5, 3.0e38] },
  i8: { dtype: 'I8', shape: [3], data: [-128, 0, 127] },
  u8: { dtype: 'U8', shape: [3], data: [0, 128, 255] },
  i16: { dtype: 'I16', shape: [2], data: [-32768, 32767] },
  u16: { dtype: 'U16', shape: [2], data: [0, 65535] },
  i32: { dtype: 'I32', shape: [2, 1], data: [-(2 ** 31), 2 ** 31 - 1] },
  u32: { dtype: 'U32', shape: [1], data: [2 ** 32 - 1] },
  i64: { dtype: 'I64', shape: [2], data: BigInt64Array.from([-(2n ** 63n), 2n ** 62n + 1n]) },
  u64: { dtype: 'U64', shape: [1], data: BigUint64Array.from([2n ** 64n - 1n]) },
  bool: { dtype: 'BOOL', shape: [3], data: [1, 0, 1] },
  scalar: { dtype: 'F32', shape: [], data: [42] },
  empty: { dtype: 'F32', shape: [0, 4], data: [] },
};

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof SvdecodeError) return error.code;
    throw error;
  }
  return 'no error';
}

async function asyncCodeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SvdecodeError) return error.code;
    throw error;
  }
  return 'no error';
}

describe('safetensors round trip', () => {
  it('keeps every dtype, shape and value, in memory and on disk', async () => {
    const bytes = serializeSafetensors(ALL, { format: 'pt', note: 'svdecode' });
    const path = join(await tempDir(), 'all.safetensors');
    await writeSafetensors(path, ALL, { format: 'pt', note: 'svdecode' });
    expect(new Uint8Array(await readFile(path))).toEqual(bytes);

    const fromBuffer = parseSafetensors(bytes);
    const fromFile = await readSafetensors(path);
    expect(fromBuffer.metadata).toEqual({ format: 'pt', note: 'svdecode' });
    for (const [name, input] of Object.entries(ALL)) {
      for (const t of [fromBuffer.get(name), fromFile.get(name)!]) {
        expect(t.dtype).toBe(input.dtype);
        expect(t.shape).toEqual(input.shape);
        if (input.dtype === 'F16' || input.dtype === 'BF16') {
          // stored as 16-bit patterns; these values are exactly representable
          const decode = input.dtype === 'F16' ? f16BitsToFloat : bf16BitsToFloat;
          const expected = Array.from(input.data as number[]).map((v) =>
            decode(input.dtype === 'F16' ? floatToF16Bits(v) : floatToBf16Bits(v)),
          );
          expect(Array.from(t.data as Uint16Array, decode)).toEqual(expected);
        } else {
          expect(Array.from(t.data as ArrayLike<number | bigint>)).toEqual(
            Array.from(input.data as ArrayLike<number | bigint>),
          );
        }
      }
    }
  });

  it('pads the header to 8 bytes and orders tensors by dtype size, then name', () => {
    const bytes = serializeSafetensors({
      b: { dtype: 'U8', shape: [1], data: [1] },
      a: { dtype: 'F32', shape: [1], data: [1] },
      c: { dtype: 'F64', shape: [1], data: [1] },
      d: { dtype: 'F32', shape: [1], data: [1] },
    });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    expect(parseSafetensors(bytes).names()).toEqual(['c', 'a', 'd', 'b']);
  });

  it('converts F16 and BF16 to float32 exactly (hand-computed values)', () => {
    // F16: sign | 5-bit exponent (bias 15) | 10-bit fraction
    expect(f16BitsToFloat(0x3c00)).toBe(1);
    expect(f16BitsToFloat(0xc000)).toBe(-2);
    expect(f16BitsToFloat(0x3555)).toBe(0.333251953125); // 1.0101010101b * 2^-2
    expect(f16BitsToFloat(0x7bff)).toBe(65504); // largest finite
    expect(f16BitsToFloat(0x0001)).toBe(2 ** -24); // smallest subnormal
    expect(f16BitsToFloat(0x03ff)).toBe(1023 * 2 ** -24); // largest subnormal
    expect(f16BitsToFloat(0x0400)).toBe(6.103515625e-5); // smallest normal, 2^-14
    expect(f16BitsToFloat(0x7c00)).toBe(Number.POSITIVE_INFINITY);
    expect(f16BitsToFloat(0xfc00)).toBe(Number.NEGATIVE_INFINITY);
    expect(f16BitsToFloat(0x7e00)).toBeNaN();
    expect(Object.is(f16BitsToFloat(0x8000), -0)).toBe(true);
    // BF16: the upper 16 bits of a float32
    expect(bf16BitsToFloat(0x3f80)).toBe(1);
    expect(bf16BitsToFloat(0xc020)).toBe(-2.5);
    expect(bf16BitsToFloat(0x3eaa)).toBe(0.33203125);
    expect(bf16BitsToFloat(0x7f7f)).toBe(3.3895313892515355e38);
    expect(bf16BitsToFloat(0xff80)).toBe(Number.NEGATIVE_INFINITY);
    expect(bf16BitsToFloat(0x0001)).toBe(9.183549615799121e-41); // subnormal
  });

  it('rounds float32 to F16/BF16 to nearest even', () => {
    expect(floatToF16Bits(1)).toBe(0x3c00);
    expect(floatToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // halfway, ties to even (down)
    expect(floatToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // halfway, ties to even (up)
    expect(floatToF16Bits(65520)).toBe(0x7c00); // rounds past the largest finite
    expect(floatToF16Bits(2 ** -25)).toBe(0x0000); // halfway to the smallest subnormal, ties to 0
    expect(floatToF16Bits(1.5 * 2 ** -25)).toBe(0x0001);
    expect(floatToF16Bits(Number.NaN) & 0x7c00).toBe(0x7c00);
    expect(floatToBf16Bits(1 + 2 ** -8)).toBe(0x3f80); // ties to even
    expect(floatToBf16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82);
    for (let h = 0; h < 0x7c00; h += 7) expect(floatToF16Bits(f16BitsToFloat(h))).toBe(h);
  });

  it('copies unaligned data instead of failing to view it', () => {
    // a 3-byte U8 tensor first puts the F32 tensor at an odd offset in the data buffer
    const header = JSON.stringify({
      a: { dtype: 'U8', shape: [3], data_offsets: [0, 3] },
      b: { dtype: 'F32', shape: [2], data_offsets: [3, 11] },
    });
    const data = new Uint8Array(11);
    data.set([7, 8, 9], 0);
    const f = new Float32Array([1.25, -3]);
    data.set(new Uint8Array(f.buffer), 3);
    const file = parseSafetensors(rawSafetensors(header, data));
    expect(Array.from(file.getFloat32('b'))).toEqual([1.25, -3]);
    expect(Array.from(file.get('a').data as Uint8Array)).toEqual([7, 8, 9]);
  });

  it('reads files written by the Python safetensors library', async () => {
    const file = await SafetensorsFile.open(join(HF_FIXTURES, 'llama-gqa', 'expected.safetensors'));
    try {
      expect(file.names().sort()).toEqual(['attention_mask', 'input_ids', 'logits', 'logits_unpadded_row0']);
      expect(file.metadata).toEqual({ format: 'pt' });
      const ids = await file.read('input_ids');
      expect(ids.dtype).toBe('I64');
      expect(ids.shape).toEqual([2, 9]);
      const logits = await file.readFloat32('logits');
      expect(logits.length).toBe(2 * 9 * 96);
      expect(logits.every(Number.isFinite)).toBe(true);
    } finally {
      await file.close();
    }
    // the bf16 checkpoint decodes to the same values as its float32 reading of the same weights
    const bf16 = await SafetensorsFile.open(join(HF_FIXTURES, 'llama-bf16-head-dim', 'model.safetensors'));
    const info = bf16.info('model.embed_tokens.weight');
    expect(info.dtype).toBe('BF16');
    const values = await bf16.readFloat32('model.embed_tokens.weight');
    const raw = (await bf16.read('model.embed_tokens.weight')).data as Uint16Array;
    expect(values[5]).toBe(bf16BitsToFloat(raw[5]!));
    await bf16.close();
  });
});

describe('malformed safetensors', () => {
  const good = { t: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  const cases: Array<[string, Uint8Array, string]> = [
    ['shorter than 8 bytes', new Uint8Array([1, 0, 0]), 'SAFETENSORS_TRUNCATED'],
    ['truncated data', rawSafetensors(good, 5), 'SAFETENSORS_TRUNCATED'],
    ['header length larger than the file', rawSafetensors(good, 8, 5000), 'SAFETENSORS_BAD_HEADER_LENGTH'],
    ['header length over 100 MB', rawSafetensors(good, 8, 2 ** 40), 'SAFETENSORS_BAD_HEADER_LENGTH'],
    ['trailing bytes', rawSafetensors(good, 12), 'SAFETENSORS_TRAILING_BYTES'],
    ['non-JSON header', rawSafetensors('{"t": nope}', 8), 'SAFETENSORS_BAD_HEADER'],
    ['header not an object', rawSafetensors('[1, 2]', 0), 'SAFETENSORS_BAD_HEADER'],
    [
      'invalid UTF-8 header',
      rawSafetensors(new TextDecoder('latin1').decode(new Uint8Array([0x7b, 0xff, 0x7d])), 0),
      'SAFETENSORS_BAD_HEADER',
    ],
    [
      'duplicate names',
      rawSafetensors(
        '{"t": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "t": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}',
        8,
      ),
      'SAFETENSORS_DUPLICATE_NAME',
    ],
    [
      'overlapping offsets',
      rawSafetensors(
        {
          a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
          b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
        },
        8,
      ),
      'SAFETENSORS_OFFSET_OVERLAP',
    ],
    [
      'gapped offsets',
      rawSafetensors(
        {
          a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
          b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
        },
        12,
      ),
      'SAFETENSORS_OFFSET_GAP',
    ],
    [
      'data not starting at 0',
      rawSafetensors({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8),
      'SAFETENSORS_OFFSET_GAP',
    ],
    [
      'size mismatch',
      rawSafetensors({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8),
      'SAFETENSORS_SIZE_MISMATCH',
    ],
    [
      'unknown dtype',
      rawSafetensors({ a: { dtype: 'Q4', shape: [1], data_offsets: [0, 1] } }, 1),
      'SAFETENSORS_UNSUPPORTED_DTYPE',
    ],
    [
      'negative shape',
      rawSafetensors({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4),
      'SAFETENSORS_BAD_ENTRY',
    ],
    [
      'offsets reversed',
      rawSafetensors({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, 4),
      'SAFETENSORS_BAD_ENTRY',
    ],
    ['metadata not strings', rawSafetensors({ __metadata__: { a: 1 } }, 0), 'SAFETENSORS_BAD_HEADER'],
  ];

  it.each(cases)('rejects %s in memory', (_label, bytes, code) => {
    expect(codeOf(() => parseSafetensors(bytes))).toBe(code);
  });

  it.each(cases)('rejects %s on disk, naming the file', async (_label, bytes, code) => {
    const path = await writeTemp('bad.safetensors', bytes);
    const error = await SafetensorsFile.open(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SvdecodeError);
    expect((error as SvdecodeError).code).toBe(code);
    expect((error as SvdecodeError).message).toContain(path);
  });

  it('rejects hostile sizes before allocating anything large', async () => {
    const before = process.memoryUsage().arrayBuffers;
    // claims a 90 MB header in a tiny file
    const hugeHeader = await writeTemp('a.safetensors', rawSafetensors(good, 8, 90_000_000));
    expect(await asyncCodeOf(SafetensorsFile.open(hugeHeader))).toBe('SAFETENSORS_BAD_HEADER_LENGTH');
    // claims a 4 GB tensor in a tiny file
    const hugeTensor = await writeTemp(
      'b.safetensors',
      rawSafetensors({ a: { dtype: 'F32', shape: [2 ** 30], data_offsets: [0, 2 ** 32] } }, 8),
    );
    expect(await asyncCodeOf(SafetensorsFile.open(hugeTensor))).toBe('SAFETENSORS_TRUNCATED');
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * 1024 * 1024);
  });

  it('names a missing tensor', () => {
    const file = parseSafetensors(serializeSafetensors({ a: { dtype: 'F32', shape: [1], data: [1] } }));
    expect(codeOf(() => file.get('b'))).toBe('TENSOR_NOT_FOUND');
  });

  it('reports a missing file with FILE_NOT_FOUND', async () => {
    expect(await asyncCodeOf(SafetensorsFile.open('/nonexistent/x.safetensors'))).toBe('FILE_NOT_FOUND');
  });

  it('refuses to write a tensor whose data does not fill its shape, and leaves no file', async () => {
    const dir = await tempDir();
    const path = join(dir, 'out.safetensors');
    await expect(
      writeSafetensors(path, { a: { dtype: 'F32' as Dtype, shape: [3], data: [1, 2] } }),
    ).rejects.toMatchObject({
      code: 'BAD_ARGUMENT',
    });
    expect(await readdir(dir)).toEqual([]);
  });
});
