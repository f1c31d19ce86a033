import { describe, expect, it } from 'vitest';
import { calibrate, StrengthEstimator } from '../src/index.js';

// a fake pair of models over V = 5 whose logits depend on the position and the previous token
const V = 5;
function logitsFor(tokens: ArrayLike<number>, shift: number): Float32Array {
  const out = new Float32Array(tokens.length * V);
  for (let t = 0; t < tokens.length; t++)
    for (let v = 0; v < V; v++)
      out[t * V + v] = Math.sin(1 + v * 1.7 + t * 0.3 + tokens[t]! * 0.9) * 2 + (v === 2 ? shift : 0);
  return out;
}
const model = {
  vocabSize: V,
  scored: 0,
  async scorePaired(tokens: ArrayLike<number>) {
    this.scored++;
    return { base: logitsFor(tokens, 0), adapted: logitsFor(tokens, 0.8) };
  },
};
const examples = [
  { prompt: [0, 3], completion: [2, 1, 2] },
  { prompt: [4], completion: [2, 2] },
  { prompt: [1, 1, 0], completion: [3] },
];

describe('calibrate', () => {
  it('feeds exactly the completion tokens of every row to a StrengthEstimator', async () => {
    const result = await calibrate(model, examples);
    const reference = new StrengthEstimator();
    for (const [row, e] of examples.entries()) {
      const ids = [...e.prompt, ...e.completion];
      const base = logitsFor(ids, 0);
      const adapted = logitsFor(ids, 0.8);
      for (let t = e.prompt.length - 1; t < ids.length - 1; t++)
        reference.add(
          adapted.subarray(t * V, (t + 1) * V),
          base.subarray(t * V, (t + 1) * V),
          ids[t + 1]!,
          row,
        );
    }
    expect(result.summary).toEqual(reference.summary());
    expect(result.summary.count).toBe(6);
    expect(result.rows).toBe(3);
    expect(result.summary.rows).toBe(3);
    expect(result.interrupted).toBe(false);
  });

  it('reports progress per row and stops when aborted', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const result = await calibrate(model, examples, {
      signal: controller.signal,
      onProgress: (p) => {
        seen.push(p.rows);
        if (p.rows === 2) controller.abort();
      },
    });
    expect(seen).toEqual([1, 2]);
    expect(result.rows).toBe(2);
    expect(result.interrupted).toBe(true);
    expect(result.summary.count).toBe(5);
  });

  it('refuses empty data and rows without a prompt or completion', async () => {
    await expect(calibrate(model, [])).rejects.toMatchObject({ code: 'BAD_DATASET_ROW' });
    await expect(calibrate(model, [{ prompt: [], completion: [1] }])).rejects.toMatchObject({
      code: 'BAD_DATASET_ROW',
      details: { row: 1 },
    });
  });
});
