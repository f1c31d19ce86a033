// Quantized exports (dtype q8 / q4): one MatMulNBits node equals the product with the dequantized
// weights; a whole quantized graph equals the fp32 graph of the dequantized model; files land under
// onnx-community's names; a paired quantized export's base row is the plain quantized export.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  dequantizeRows,
  dequantizeRowsAsymmetric,
  quantizeRows,
  quantizeRowsAsymmetric,
} from '@svdecode/hf-io';
import { loadLinearAdapter } from '@svdecode/peft';
import { HF_DIR, tempDir } from '@svdecode/testkit';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildLlamaGraph, DataType, exportOnnx, GraphBuilder, type WeightMap } from '../src/index.js';
import { weightOnlyMatMul } from '../src/quantized-matmul.js';
import { decoderLogits, fixtureWeights, maxAbsDiff } from './decoder-runs.js';

process.env.SVDECODE_QUIET = '1';
function random(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 2;
  });
}

describe('MatMulNBits through weightOnlyMatMul', () => {
  it.each([
    [4, 64, 32],
    [8, 64, 32],
    [4, 80, 32],
    [8, 80, 32],
    [4, 80, 16],
  ] as const)(
    '%i bits, K = %i, blocks of %i: equals x times the dequantized weights (accuracy level 0), and close at level 4',
    async (bits, K, blockSize) => {
      const N = 24;
      const M = 3;
      const w = random(N * K, bits * 1000 + K);
      const x = random(M * K, 7);
      // the reference: the rows padded to whole blocks, quantized, dequantized, multiplied in float64
      const padded = Math.ceil(K / blockSize) * blockSize;
      const wPadded = new Float32Array(N * padded);
      for (let r = 0; r < N; r++) wPadded.set(w.subarray(r * K, (r + 1) * K), r * padded);
      const deq = dequantizeRows(quantizeRows(wPadded, N, padded, bits, 'w', blockSize));
      const want = new Float32Array(M * N);
      for (let m = 0; m < M; m++)
        for (let n = 0; n < N; n++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += x[m * K + k]! * deq[n * padded + k]!;
          want[m * N + n] = s;
        }
      for (const accuracyLevel of [0, 4] as const) {
        const g = new GraphBuilder();
        const input = g.input('x', DataType.FLOAT, [M, K]);
        g.name(weightOnlyMatMul(g, input, 'w', w, [N, K], { bits, accuracyLevel, blockSize }), 'y');
        g.output('y', DataType.FLOAT, [M, N]);
        const session = await ort.InferenceSession.create(g.serialize());
        const out = await session.run({ x: new ort.Tensor('float32', x, [M, K]) });
        await session.release();
        const got = out.y!.data as Float32Array;
        // level 4 quantizes the activations to int8 per block too
        expect(maxAbsDiff(got, want), `level ${accuracyLevel}`).toBeLessThan(
          accuracyLevel === 0 ? 1e-4 : 0.05,
        );
      }
    },
  );
});

describe('MatMulNBits with zero points (asymmetric blocks)', () => {
  it.each([
    [4, 80],
    [8, 64],
  ] as const)(
    '%i bits, K = %i: equals x times the dequantized weights (accuracy level 0)',
    async (bits, K) => {
      const N = 20;
      const M = 2;
      // a skewed matrix: the asymmetric grid's case
      const w = random(N * K, 31 + bits).map((v) => v + 0.6);
      const x = random(M * K, 9);
      const padded = Math.ceil(K / 32) * 32;
      const wPadded = new Float32Array(N * padded);
      for (let r = 0; r < N; r++) wPadded.set(w.subarray(r * K, (r + 1) * K), r * padded);
      const deq = dequantizeRowsAsymmetric(quantizeRowsAsymmetric(wPadded, N, padded, bits));
      const want = new Float32Array(M * N);
      for (let m = 0; m < M; m++)
        for (let n = 0; n < N; n++) {
          let sum = 0;
          for (let k = 0; k < K; k++) sum += x[m * K + k]! * deq[n * padded + k]!;
          want[m * N + n] = sum;
        }
      const g = new GraphBuilder();
      const input = g.input('x', DataType.FLOAT, [M, K]);
      g.name(weightOnlyMatMul(g, input, 'w', w, [N, K], { bits, accuracyLevel: 0, zeroPoints: true }), 'y');
      g.output('y', DataType.FLOAT, [M, N]);
      const session = await ort.InferenceSession.create(g.serialize());
      const out = await session.run({ x: new ort.Tensor('float32', x, [M, K]) });
      await session.release();
      expect(maxAbsDiff(out.y!.data as Float32Array, want)).toBeLessThan(1e-4);
      // and the asymmetric grid fits this skewed matrix better than the symmetric one
      const sym = dequantizeRows(quantizeRows(wPadded, N, padded, bits));
      const err = (d: Float32Array) => d.reduce((acc, v, i) => acc + (v - wPadded[i]!) ** 2, 0);
      expect(err(deq)).toBeLessThan(err(sym));
    },
  );
});

describe('quantized exports', () => {
  it('a q8 / q4 graph equals the fp32 graph of the dequantized model; files under onnx-community names', async () => {
    const dir = join(HF_DIR, 'llama-gqa');
    const { config: c, map } = await fixtureWeights(dir);
    const fp32 = await decoderLogits(buildLlamaGraph(c, map));
    for (const bits of [8, 4] as const) {
      // every linear weight and the LM head replaced by its dequantized self
      const dequantized = new Map(map) as Map<string, { shape: readonly number[]; data: Float32Array }>;
      for (const [name, t] of map) {
        if (t.shape.length !== 2 || name === 'model.embed_tokens.weight') continue;
        const [rows, cols] = t.shape as [number, number];
        dequantized.set(name, {
          shape: t.shape,
          data: dequantizeRows(quantizeRows(t.data, rows, cols, bits)),
        });
      }
      const reference = await decoderLogits(buildLlamaGraph(c, dequantized as WeightMap));
      const quantized = await decoderLogits(
        buildLlamaGraph(c, map, { quantize: { bits, accuracyLevel: 0 } }),
      );
      expect(maxAbsDiff(quantized, reference), `${bits} bits vs dequantized`).toBeLessThan(1e-4);
      // and quantization changed something, by less than the logits' own size
      const change = maxAbsDiff(quantized, fp32);
      expect(change).toBeGreaterThan(0);
      expect(change).toBeLessThan(bits === 8 ? 0.05 : 0.5);
    }
    const root = await tempDir();
    await exportOnnx(dir, join(root, 'q8'), { dtype: 'q8' });
    await exportOnnx(dir, join(root, 'q4'), { dtype: 'q4', externalData: true });
    expect(await readdir(join(root, 'q8', 'onnx'))).toEqual(['model_quantized.onnx']);
    expect((await readdir(join(root, 'q4', 'onnx'))).sort()).toEqual(['model_q4.onnx', 'model_q4.onnx_data']);
  });

  it('a paired q4 export: the base row is the plain q4 export, the adapter branch stays float32', async () => {
    const dir = join(HF_DIR, 'llama-gqa');
    const adapter = await loadLinearAdapter(join(HF_DIR, 'adapters', 'lora'));
    const root = await tempDir();
    await exportOnnx(dir, join(root, 'plain'), { dtype: 'q4' });
    await exportOnnx(dir, join(root, 'paired'), { dtype: 'q4', adapter, paired: true });
    const run = async (d: string, scale?: number[]) =>
      decoderLogits(await readFile(join(root, d, 'onnx', 'model_q4.onnx')), scale);
    const plain = await run('plain');
    const paired = await run('paired', [0, 1]);
    const n = plain.length;
    expect(maxAbsDiff(paired.subarray(0, n), plain)).toBeLessThan(1e-5);
    expect(maxAbsDiff(paired.subarray(n), plain)).toBeGreaterThan(1e-3); // the adapter moved the logits
  });

  it.each([8, 4] as const)(
    'embeddings: a %i-bit embedding table (GatherBlockQuantized) equals the dequantized model too, in a smaller file',
    async (bits) => {
      const { config: c, map } = await fixtureWeights(join(HF_DIR, 'llama-gqa'));
      const dequantized = new Map(map) as Map<string, { shape: readonly number[]; data: Float32Array }>;
      for (const [name, t] of map) {
        if (t.shape.length !== 2) continue;
        const [rows, cols] = t.shape as [number, number];
        dequantized.set(name, {
          shape: t.shape,
          data: dequantizeRows(quantizeRows(t.data, rows, cols, bits)),
        });
      }
      const reference = await decoderLogits(buildLlamaGraph(c, dequantized as WeightMap));
      const withTable = buildLlamaGraph(c, map, { quantize: { bits, accuracyLevel: 0, embeddings: true } });
      const without = buildLlamaGraph(c, map, { quantize: { bits, accuracyLevel: 0 } });
      expect(maxAbsDiff(await decoderLogits(withTable), reference)).toBeLessThan(1e-4);
      expect(withTable.length).toBeLessThan(without.length);
    },
  );

  it('headBits 8 keeps the LM head at 8 bits in a q4 graph (closer to fp32 than all-q4)', async () => {
    const dir = join(HF_DIR, 'llama-gqa');
    const { config: c, map } = await fixtureWeights(dir);
    const run = (options: Parameters<typeof buildLlamaGraph>[2]) =>
      decoderLogits(buildLlamaGraph(c, map, options));
    const fp32 = await run({});
    const q4 = await run({ quantize: { bits: 4, accuracyLevel: 0 } });
    const q4Head8 = await run({ quantize: { bits: 4, headBits: 8, accuracyLevel: 0 } });
    expect(maxAbsDiff(q4Head8, q4)).toBeGreaterThan(0);
    expect(maxAbsDiff(q4Head8, fp32)).toBeLessThan(maxAbsDiff(q4, fp32));
  });

  it('refuses a dtype it does not write', async () => {
    const root = await tempDir();
    await expect(
      exportOnnx(join(HF_DIR, 'llama-gqa'), join(root, 'x'), { dtype: 'bnb4' as 'q4' }),
    ).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
  });
});
