import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectCode } from '@svdecode/core/test';
import { f16ToFloat32, loadModelDirectory } from '@svdecode/hf-io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportGguf, exportGgufLora, gguf, permuteForRope, writeGguf } from '../src/index.js';

const TINY = new URL('../../tiny/model/', import.meta.url).pathname;
const LORA_DIR = new URL('../../tiny/demo/lora/', import.meta.url).pathname;

/** A small GGUF reader (the format's spec, independent of the writer's code): header, metadata, tensor table. */
function readGguf(bytes: Buffer) {
  let at = 4;
  const take = (n: number) => {
    at += n;
    return at - n;
  };
  const u32 = () => bytes.readUInt32LE(take(4));
  const u64 = () => Number(bytes.readBigUInt64LE(take(8)));
  const str = () => {
    const n = u64();
    const from = take(n);
    return bytes.toString('utf8', from, from + n);
  };
  const value = (type: number): unknown => {
    if (type === 4) return u32();
    if (type === 5) return bytes.readInt32LE(take(4));
    if (type === 6) return bytes.readFloatLE(take(4));
    if (type === 7) return bytes[take(1)] === 1;
    if (type === 8) return str();
    if (type === 9) {
      const of = u32();
      return Array.from({ length: u64() }, () => value(of));
    }
    throw new Error(`type ${type}`);
  };
  expect(bytes.toString('ascii', 0, 4)).toBe('GGUF');
  const version = u32();
  const [tensorCount, kvCount] = [u64(), u64()];
  const metadata: Record<string, unknown> = {};
  for (let i = 0; i < kvCount; i++) {
    const key = str();
    metadata[key] = value(u32());
  }
  const tensors = Array.from({ length: tensorCount }, () => {
    const name = str();
    const dims = Array.from({ length: u32() }, () => u64());
    return { name, dims, type: u32(), offset: u64() };
  });
  const dataStart = Math.ceil(at / 32) * 32;
  return { version, metadata, tensors, dataStart };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'svdecode-gguf-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('writeGguf', () => {
  it('writes version 3: metadata in order, tensor dims reversed, data aligned to 32 bytes, F16 halved', async () => {
    const file = join(dir, 'small.gguf');
    const a = Float32Array.from({ length: 6 }, (_, i) => i + 0.5);
    const b = Float32Array.of(1, -2, 3);
    await writeGguf(
      file,
      [
        ['general.architecture', gguf.string('llama')],
        ['x.count', gguf.u32(7)],
        ['x.names', gguf.strings(['a', 'bé'])],
        ['x.flag', gguf.bool(true)],
        ['x.eps', gguf.f32(1e-5)],
      ],
      [
        { name: 'a', shape: [2, 3], type: 'F32', data: async () => a },
        { name: 'b', shape: [3], type: 'F16', data: async () => b },
      ],
    );
    const bytes = await readFile(file);
    const parsed = readGguf(bytes);
    expect(parsed.version).toBe(3);
    expect(Object.keys(parsed.metadata)).toEqual([
      'general.architecture',
      'x.count',
      'x.names',
      'x.flag',
      'x.eps',
    ]);
    expect(parsed.metadata['x.names']).toEqual(['a', 'bé']);
    expect(parsed.metadata['x.eps']).toBeCloseTo(1e-5, 10);
    expect(parsed.tensors).toEqual([
      { name: 'a', dims: [3, 2], type: 0, offset: 0 },
      { name: 'b', dims: [3], type: 1, offset: 32 },
    ]);
    const start = parsed.dataStart;
    expect(Array.from(new Float32Array(bytes.buffer.slice(start, start + 24)))).toEqual(Array.from(a));
    const half = new Uint16Array(bytes.buffer.slice(start + 32, start + 38));
    expect(Array.from(f16ToFloat32(half))).toEqual([1, -2, 3]);
    expect(bytes.length).toBe(start + 64);
  });

  it('a tensor whose data does not match its shape fails and leaves no file behind', async () => {
    const file = join(dir, 'bad.gguf');
    await expectCode(
      writeGguf(file, [], [{ name: 'a', shape: [2, 2], type: 'F32', data: async () => new Float32Array(3) }]),
      'WEIGHT_SHAPE_MISMATCH',
    );
    expect((await readdir(dir)).filter((f) => f.startsWith('bad'))).toEqual([]);
  });
});

describe('permuteForRope', () => {
  it("is llama.cpp's reshape(heads, 2, half, cols).swapaxes(1, 2) of the rows", () => {
    const [heads, headRows, cols] = [2, 6, 3];
    const rows = Float32Array.from({ length: heads * headRows * cols }, (_, i) => i);
    const out = permuteForRope(rows, [heads * headRows, cols], heads);
    const half = headRows / 2;
    for (let h = 0; h < heads; h++)
      for (let j = 0; j < 2; j++)
        for (let i = 0; i < half; i++)
          for (let c = 0; c < cols; c++) {
            // numpy: out[h, i, j, c] = in[h, j, i, c]
            expect(out[((h * half + i) * 2 + j) * cols + c]).toBe(rows[((h * 2 + j) * half + i) * cols + c]);
          }
  });
});

describe('exportGguf and exportGgufLora (embedded model, demo LoRA)', () => {
  it('writes the llama metadata, the tokenizer and every tensor (F16 matrices, F32 norms)', async () => {
    const file = join(dir, 'tiny-f16.gguf');
    await exportGguf(TINY, file, { dtype: 'F16' });
    const { metadata, tensors } = readGguf(await readFile(file));
    const { config } = await loadModelDirectory(TINY, { tokenizer: false });
    expect(metadata['general.architecture']).toBe('llama');
    expect(metadata['general.file_type']).toBe(1);
    expect(metadata['llama.block_count']).toBe(config.numLayers);
    expect(metadata['llama.attention.head_count_kv']).toBe(config.numKvHeads);
    expect(metadata['tokenizer.ggml.model']).toBe('gpt2');
    expect(metadata['tokenizer.ggml.pre']).toBe('gpt-2');
    expect((metadata['tokenizer.ggml.tokens'] as string[]).length).toBe(config.vocabSize);
    expect(metadata['tokenizer.ggml.eos_token_id']).toBe(config.eosTokenIds[0]);
    const byName = new Map(tensors.map((t) => [t.name, t]));
    expect(byName.get('token_embd.weight')).toMatchObject({
      dims: [config.hiddenSize, config.vocabSize],
      type: 1,
    });
    expect(byName.get('blk.0.attn_k.weight')!.dims).toEqual([
      config.hiddenSize,
      config.numKvHeads * config.headDim,
    ]);
    expect(byName.get('output_norm.weight')!.type).toBe(0);
    expect(byName.has('output.weight')).toBe(false); // tied embeddings
    expect(tensors).toHaveLength(2 + 9 * config.numLayers);
  });

  it('writes LoRA A/B as lora_a [in, r] / lora_b [r, out] with alpha = scaling x rank', async () => {
    const { loadLinearAdapter } = await import('@svdecode/peft');
    const file = join(dir, 'lora.gguf');
    const { config } = await loadModelDirectory(TINY, { tokenizer: false });
    await exportGgufLora(await loadLinearAdapter(LORA_DIR), config, file);
    const { metadata, tensors } = readGguf(await readFile(file));
    expect(metadata).toMatchObject({
      'general.type': 'adapter',
      'adapter.type': 'lora',
      'adapter.lora.alpha': 16,
    });
    const a = tensors.find((t) => t.name === 'blk.0.attn_q.weight.lora_a')!;
    const b = tensors.find((t) => t.name === 'blk.0.attn_q.weight.lora_b')!;
    expect(a.dims).toEqual([config.hiddenSize, 8]);
    expect(b.dims).toEqual([8, config.numHeads * config.headDim]);
    expect(tensors).toHaveLength(2 * 4 * config.numLayers);
  });

  it('refuses what GGUF LoRA cannot hold and tokenizers it does not cover (GGUF_UNSUPPORTED)', async () => {
    const { config } = await loadModelDirectory(TINY, { tokenizer: false });
    const scale = {
      type: 'IA3',
      linearDelta: async () =>
        new Map([
          [
            'model.layers.0.mlp.down_proj',
            { kind: 'scale' as const, vector: new Float32Array(688), axis: 'in' as const },
          ],
        ]),
    };
    await expectCode(exportGgufLora(scale, config, join(dir, 'ia3.gguf')), 'GGUF_UNSUPPORTED');
    await expectCode(
      exportGgufLora({ type: 'LORA', linearDelta: async () => new Map() }, config, join(dir, 'empty.gguf')),
      'GGUF_UNSUPPORTED',
    );
    const spm = join(dir, 'spm');
    await import('node:fs/promises').then((fs) => fs.mkdir(spm));
    await writeFile(join(spm, 'tokenizer.json'), JSON.stringify({ model: { type: 'Unigram', vocab: [] } }));
    const { openCheckpointWeights } = await import('@svdecode/hf-io');
    await expectCode(
      exportGguf(await openCheckpointWeights(TINY), join(dir, 'x.gguf'), { tokenizerDir: spm }),
      'GGUF_UNSUPPORTED',
    );
    await expectCode(exportGguf(await openCheckpointWeights(TINY), join(dir, 'y.gguf')), 'BAD_ARGUMENT');
    expect((await readdir(dir)).filter((f) => /^(ia3|empty|x|y)\./.test(f))).toEqual([]);
  });
});

describe('Q8_0 and Q4_0 (llama.cpp block quantization)', () => {
  it('writes the blocks llama.cpp reads: f16 scale then levels; falls back where rows do not divide by 32', async () => {
    const { dequantizeRows, float32ToF16, quantizeRows } = await import('@svdecode/hf-io');
    const directory = await loadModelDirectory(TINY, { tokenizer: false });
    const { config } = directory;
    const embed = await directory.weights.readFloat32('model.embed_tokens.weight');
    await directory.close();
    for (const [dtype, type, fileType, bits] of [
      ['Q8_0', 8, 7, 8],
      ['Q4_0', 2, 2, 4],
    ] as const) {
      const file = join(dir, `tiny-${dtype}.gguf`);
      await exportGguf(TINY, file, { dtype, fallback: 'F16' });
      const bytes = await readFile(file);
      const { metadata, tensors, dataStart } = readGguf(bytes);
      expect(metadata['general.file_type']).toBe(fileType);
      const byName = new Map(tensors.map((t) => [t.name, t]));
      expect(byName.get('blk.0.attn_q.weight')!.type).toBe(type);
      expect(byName.get('blk.0.ffn_down.weight')!.type).toBe(1); // 688 values a row: F16
      expect(byName.get('blk.0.attn_norm.weight')!.type).toBe(0);
      // decode the embedding's blocks by the format (scale f16, then levels) and compare
      const t = byName.get('token_embd.weight')!;
      const blockBytes = dtype === 'Q8_0' ? 34 : 18;
      const at = dataStart + t.offset;
      const blocks = embed.length / 32;
      const decoded = new Float32Array(embed.length);
      for (let b = 0; b < blocks; b++) {
        const p = at + b * blockBytes;
        const scale = f16ToFloat32(Uint16Array.of(bytes.readUInt16LE(p)))[0]!;
        for (let j = 0; j < 32; j++) {
          const level =
            dtype === 'Q8_0'
              ? bytes.readInt8(p + 2 + j)
              : j < 16
                ? (bytes[p + 2 + j]! & 0x0f) - 8
                : (bytes[p + 2 + j - 16]! >> 4) - 8;
          decoded[b * 32 + j] = level * scale;
        }
      }
      const q = quantizeRows(embed, config.vocabSize, config.hiddenSize, bits);
      const want = dequantizeRows(q, f16ToFloat32(float32ToF16(q.scales)));
      let diff = 0;
      for (let i = 0; i < want.length; i++) diff = Math.max(diff, Math.abs(decoded[i]! - want[i]!));
      expect(diff).toBe(0);
    }
  });

  it('refuses rows that do not divide into blocks without a fallback, and writes nothing', async () => {
    const file = join(dir, 'refused-q4.gguf');
    await expect(exportGguf(TINY, file, { dtype: 'Q4_0' })).rejects.toMatchObject({
      code: 'QUANT_SHAPE',
      details: { tensor: 'blk.0.ffn_down.weight' },
    });
    expect((await readdir(dir)).filter((f) => f.startsWith('refused'))).toEqual([]);
  });
});
