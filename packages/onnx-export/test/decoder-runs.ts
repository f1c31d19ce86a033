// What the exporter's tests share: one full forward (no cache) of a decoder graph through
// onnxruntime, and a fixture model's weights as the exporter reads them.
import { join } from 'node:path';
import { expectedWeights, type LlamaConfig, openCheckpointWeights } from '@svdecode/hf-io';
import * as ort from 'onnxruntime-node';
import { expect } from 'vitest';
import type { WeightMap } from '../src/index.js';

export const TOKENS = [1, 17, 42, 5, 88, 3, 60];

/**
 * The logits of every position of TOKENS, row-major by row: `graph` is a serialised model or an
 * export directory (its onnx/model.onnx); `scale` (one number per row) feeds `adapter_scale`.
 */
export async function decoderLogits(graph: Uint8Array | string, scale?: number[]): Promise<Float32Array> {
  const session =
    typeof graph === 'string'
      ? await ort.InferenceSession.create(join(graph, 'onnx', 'model.onnx'))
      : await ort.InferenceSession.create(graph);
  const rows = scale?.length ?? 1;
  const n = TOKENS.length;
  const ints = (f: (i: number) => number) =>
    new ort.Tensor(
      'int64',
      BigInt64Array.from({ length: rows * n }, (_, i) => BigInt(f(i))),
      [rows, n],
    );
  const feeds: Record<string, ort.Tensor> = {
    input_ids: ints((i) => TOKENS[i % n]!),
    attention_mask: ints(() => 1),
    position_ids: ints((i) => i % n),
  };
  if (scale) feeds.adapter_scale = new ort.Tensor('float32', Float32Array.from(scale), [rows]);
  // the cache inputs, empty: their shapes from the graph's own metadata
  for (const name of session.inputNames.filter((x) => x.startsWith('past_key_values.'))) {
    const dims = (
      session as unknown as { inputMetadata: Array<{ name: string; shape: unknown[] }> }
    ).inputMetadata.find((m) => m.name === name)!.shape;
    feeds[name] = new ort.Tensor('float32', new Float32Array(0), [
      rows,
      dims[1] as number,
      0,
      dims[3] as number,
    ]);
  }
  const out = await session.run(feeds);
  await session.release();
  return out.logits!.data as Float32Array;
}

/** A fixture model's config and float32 weights by checkpoint name. */
export async function fixtureWeights(dir: string): Promise<{ config: LlamaConfig; map: WeightMap }> {
  const weights = await openCheckpointWeights(dir);
  const map = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const [name, shape] of expectedWeights(weights.config))
    map.set(name, { shape, data: await weights.tensor(name, shape) });
  await weights.close?.();
  return { config: weights.config, map };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
