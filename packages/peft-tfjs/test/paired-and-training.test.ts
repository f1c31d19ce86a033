import { join } from 'node:path';
import { loadTfjsModel, TfjsCausalLM } from '@svdecode/backend-tfjs';
import { describeCausalLMConformance, describePairedCausalLMConformance } from '@svdecode/core/test';
import { generateAll } from '@svdecode/sampler';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AdaptedModel,
  applyLinearDelta,
  createAdapter,
  defaultAdapterConfig,
  loadAdapter,
  loadLinearAdapter,
  mergeAdapter,
  parseLinearModule,
  type TrainingExample,
  warmStart,
} from '../src/index.js';
import { ADAPTERS, BASE_DIR, maxAbsDiff, tempDir } from './helpers.js';

let model: TfjsCausalLM;
/** The fixture with its LM head scaled up: transformers' 0.02 init std caps every logit near 0, so no adapter could fit a task. */
let trainable: TfjsCausalLM;
beforeAll(async () => {
  model = await loadTfjsModel(BASE_DIR);
  trainable = new TfjsCausalLM(
    model.config,
    { ...model.weights, lmHead: tf.mul(model.weights.lmHead, 30) as tf.Tensor2D },
    { name: 'scaled', backend: 'tfjs' },
  );
});
afterAll(() => model.dispose());

for (const name of ['lora', 'ia3', 'prompt-tuning']) {
  const open = async () => {
    const base = await loadTfjsModel(BASE_DIR);
    const adapted = await loadAdapter(base, join(ADAPTERS, name));
    return { base, adapted };
  };
  describeCausalLMConformance(`AdaptedModel (${name})`, async () => (await open()).adapted);
  describePairedCausalLMConformance(`AdaptedModel (${name})`, async () => {
    const { base, adapted } = await open();
    return {
      paired: adapted,
      base,
      dispose: () => {
        adapted.dispose();
        base.dispose();
      },
    };
  });
}

describe('paired execution: one batched forward for base and adapted rows', () => {
  it.each(['lora', 'ia3', 'prompt-tuning', 'prefix-tuning'])(
    '%s equals two separate forwards (<= 1e-5)',
    async (name) => {
      const adapted = await loadAdapter(model, join(ADAPTERS, name));
      const paired = adapted.createPairedSession();
      const base = model.createSession();
      const alone = adapted.createSession();
      const steps = [[1, 5, 9, 20], [33], [7], [70]];
      for (const tokens of steps) {
        const both = await paired.append(tokens);
        expect(maxAbsDiff(both.base, await base.append(tokens))).toBeLessThanOrEqual(1e-5);
        expect(maxAbsDiff(both.adapted, await alone.append(tokens))).toBeLessThanOrEqual(1e-5);
      }
      const fork = paired.fork();
      const a = await fork.append([3]);
      const b = await paired.append([4]);
      expect(maxAbsDiff(a.adapted, b.adapted)).toBeGreaterThan(0);
      for (const s of [paired, base, alone, fork]) s.dispose();
      const scored = await adapted.scorePaired([1, 5, 9, 20, 33]);
      expect(maxAbsDiff(scored.base, await model.score([1, 5, 9, 20, 33]))).toBeLessThanOrEqual(1e-5);
      expect(maxAbsDiff(scored.adapted, await adapted.score([1, 5, 9, 20, 33]))).toBeLessThanOrEqual(1e-5);
      expect(adapted.liveSessions).toBe(0);
      adapted.dispose();
    },
  );

  it('drives steered generation; memory holds no second copy of the weights', async () => {
    const adapted = await loadAdapter(model, join(ADAPTERS, 'lora'));
    const before = tf.memory().numBytes;
    const result = await generateAll(adapted.createPairedSession(), [1, 17, 42], {
      maxNewTokens: 6,
      steer: { mu: -10 },
    });
    expect(result.tokens).toHaveLength(6);
    expect(tf.memory().numBytes).toBe(before);
    expect(adapted.liveSessions).toBe(0);
    adapted.dispose();
  });
});

// a small task: after any prompt, the completion is the fixed sequence 11 12 13 14
const task: TrainingExample[] = Array.from({ length: 24 }, (_, i) => ({
  prompt: [1, (i * 7) % 90, (i * 13) % 90, (i * 29) % 90],
  completion: [11, 12, 13, 14],
}));

async function taskLoss(adapted: AdaptedModel): Promise<number> {
  let total = 0;
  for (const e of task.slice(0, 8)) {
    const tokens = [...e.prompt, ...e.completion];
    const logits = await adapted.score(tokens);
    for (let t = e.prompt.length - 1; t < tokens.length - 1; t++) {
      const row = logits.subarray(t * 96, (t + 1) * 96);
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0));
      total += lse - row[tokens[t + 1]!]!;
    }
  }
  return total / (8 * 4);
}

describe('warm-start training', () => {
  it.each(['lora', 'ia3', 'prompt-tuning', 'p-tuning-v2'] as const)(
    '%s: loss decreases on a small task',
    async (method) => {
      const adapted = new AdaptedModel(
        trainable,
        createAdapter(trainable, defaultAdapterConfig(method, trainable), { seed: 3 }),
      );
      const before = await taskLoss(adapted);
      const progress: number[] = [];
      const result = await warmStart(adapted, task, {
        learningRate: method === 'lora' ? 0.01 : 0.05,
        epochs: 2,
        batchSize: 2,
        seed: 3,
        onProgress: (p) => progress.push(p.step),
      });
      const after = await taskLoss(adapted);
      expect(after).toBeLessThan(before * 0.85);
      expect(result.steps).toBe(24);
      expect(progress).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
      expect(result.losses.every(Number.isFinite)).toBe(true);
      adapted.dispose();
    },
    60_000,
  );

  it('is deterministic for a seed, saves at the end, and honours gradient accumulation', async () => {
    const run = async (seed: number) => {
      const adapted = new AdaptedModel(
        model,
        createAdapter(model, defaultAdapterConfig('lora', model), { seed }),
      );
      const dir = join(await tempDir(), 'out');
      const result = await warmStart(adapted, task.slice(0, 8), {
        learningRate: 0.01,
        seed,
        gradAccum: 2,
        saveTo: dir,
      });
      const values = await Promise.all(adapted.adapter.variables.map((v) => v.data()));
      const reloaded = await loadAdapter(model, dir);
      const same = maxAbsDiff(await reloaded.score([1, 2, 3]), await adapted.score([1, 2, 3]));
      reloaded.dispose();
      adapted.dispose();
      return { result, values: values.map((v) => Array.from(v)), same };
    };
    const a = await run(5);
    const b = await run(5);
    const c = await run(6);
    expect(a.result.steps).toBe(4); // 8 examples, batch 1, 2 micro-batches per step
    expect(a.values).toEqual(b.values);
    expect(a.values).not.toEqual(c.values);
    expect(a.same).toBe(0);
    expect(a.result.savedTo).toBeDefined();
  }, 60_000);

  it('stops on an abort signal and saves what it has', async () => {
    const adapted = new AdaptedModel(model, createAdapter(model, defaultAdapterConfig('lora', model)));
    const controller = new AbortController();
    const dir = join(await tempDir(), 'partial');
    const result = await warmStart(adapted, task, {
      learningRate: 0.01,
      saveTo: dir,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.step === 3) controller.abort();
      },
    });
    expect(result.interrupted).toBe(true);
    expect(result.steps).toBe(3);
    await expect(loadAdapter(model, dir)).resolves.toBeInstanceOf(AdaptedModel);
    adapted.dispose();
  });

  it('rejects bad options and rows with clear codes', async () => {
    const adapted = new AdaptedModel(model, createAdapter(model, defaultAdapterConfig('lora', model)));
    await expect(warmStart(adapted, task, { learningRate: -1 })).rejects.toMatchObject({
      code: 'BAD_ARGUMENT',
      details: { field: 'learningRate' },
    });
    await expect(warmStart(adapted, [{ prompt: [1], completion: [] }])).rejects.toMatchObject({
      code: 'BAD_DATASET_ROW',
    });
    await expect(warmStart(adapted, [{ prompt: [1], completion: [500] }])).rejects.toMatchObject({
      code: 'TOKEN_OUT_OF_RANGE',
    });
    await expect(warmStart(adapted, [])).rejects.toMatchObject({ code: 'BAD_DATASET_ROW' });
    adapted.dispose();
  });
});

describe('merging through linearDelta()', () => {
  it.each([
    ['lora-rslora-patterns', ['mlp.up_proj', 'self_attn.q_proj', 'self_attn.v_proj']],
    ['ia3', null],
  ] as const)('%s: the merged weights give the adapted model as a plain model', async (name, modules) => {
    const adapted = await loadAdapter(model, join(ADAPTERS, name));
    const merged = await mergeAdapter(adapted);
    if (modules)
      expect([...merged.keys()].sort()).toEqual(
        [0, 1].flatMap((l) => modules.map((m) => `model.layers.${l}.${m}.weight`)).sort(),
      );
    expect(merged.size).toBeGreaterThan(0);
    // swap the merged weights into a copy of the model's weights
    const swapped: tf.Tensor[] = [];
    const layers = model.weights.layers.map((layer, l) => {
      const copy = { ...layer };
      for (const [key, w] of merged) {
        const path = parseLinearModule(key.replace(/\.weight$/, ''))!;
        if (path.layer !== l) continue;
        const t = tf.transpose(tf.tensor2d(w.data, w.shape)); // the backend stores [in, out]
        copy[path.proj] = t as tf.Tensor2D;
        swapped.push(t);
      }
      return copy;
    });
    const plain = new TfjsCausalLM(
      model.config,
      { ...model.weights, layers },
      { name: 'merged', backend: 'tfjs' },
    );
    const ids = [1, 2, 30, 40, 50];
    expect(maxAbsDiff(await plain.score(ids), await adapted.score(ids))).toBeLessThan(1e-4);
    tf.dispose(swapped);
    adapted.dispose();
  });

  it.each(['lora-rslora-patterns', 'ia3'])(
    "%s: the deltas read from the files (no tfjs) equal the loaded adapter's",
    async (name) => {
      const adapted = await loadAdapter(model, join(ADAPTERS, name));
      const fromRuntime = await adapted.adapter.linearDelta!();
      const fromFiles = await (await loadLinearAdapter(join(ADAPTERS, name))).linearDelta();
      expect([...fromFiles.keys()].sort()).toEqual([...fromRuntime.keys()].sort());
      for (const [module, d] of fromRuntime) expect(fromFiles.get(module)).toEqual(d);
      adapted.dispose();
    },
  );

  it('prompt methods have no linear delta: merging says so', async () => {
    await expect(
      mergeAdapter(await loadAdapter(model, join(ADAPTERS, 'prompt-tuning'))),
    ).rejects.toMatchObject({
      code: 'BAD_ARGUMENT',
    });
  });
});

describe('applyLinearDelta', () => {
  it('adds dense and low-rank deltas and scales rows or columns, checking sizes', () => {
    const w = Float32Array.of(1, 2, 3, 4, 5, 6); // [out 2, in 3]
    expect([
      ...applyLinearDelta('m', w, [2, 3], { kind: 'dense', data: new Float32Array(6).fill(1) }),
    ]).toEqual([2, 3, 4, 5, 6, 7]);
    // B [2, 1] = [1, 2], A [1, 3] = [1, 0, -1], scaling 0.5: delta = 0.5 * B A
    const lowRank = applyLinearDelta('m', w, [2, 3], {
      kind: 'low-rank',
      a: Float32Array.of(1, 0, -1),
      b: Float32Array.of(1, 2),
      rank: 1,
      scaling: 0.5,
    });
    expect([...lowRank]).toEqual([1.5, 2, 2.5, 5, 5, 5]);
    expect([
      ...applyLinearDelta('m', w, [2, 3], { kind: 'scale', vector: Float32Array.of(2, 0), axis: 'out' }),
    ]).toEqual([2, 4, 6, 0, 0, 0]);
    expect([
      ...applyLinearDelta('m', w, [2, 3], { kind: 'scale', vector: Float32Array.of(1, 0, 2), axis: 'in' }),
    ]).toEqual([1, 0, 6, 4, 0, 12]);
    expect([...w]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => applyLinearDelta('m', w, [2, 3], { kind: 'dense', data: new Float32Array(5) })).toThrow(
      expect.objectContaining({ code: 'WEIGHT_SHAPE_MISMATCH' }),
    );
  });
});
