// A user-defined adapter type, written outside the packages with the public API only: a dense
// trainable delta on the attention output projections. It says what it does to the weights through
// linearDelta() (PEFT's get_delta_weight), so it merges and exports to ONNX like LoRA and IA3.
import { join } from 'node:path';
import { loadOnnxModel } from '@svdecode/backend-onnx';
import { loadTfjsModel, type TfjsCausalLM } from '@svdecode/backend-tfjs';
import { isPaired } from '@svdecode/core';
import {
  AdaptedModel,
  type Adapter,
  type AdapterType,
  createAdapter,
  isTarget,
  type LinearDelta,
  linearModules,
  registerAdapter,
} from '@svdecode/peft-tfjs';
import { HF_DIR } from '@svdecode/testkit';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportModel, maxAbsDiff, tempDir } from './helpers.js';

interface DenseConfig extends Record<string, unknown> {
  peft_type: 'DENSE_DELTA';
  target_modules: string[];
}

const denseDelta: AdapterType<DenseConfig> = {
  type: 'DENSE_DELTA',
  parseConfig: (json) => ({
    peft_type: 'DENSE_DELTA',
    target_modules: (json.target_modules as string[]) ?? ['o_proj'],
  }),
  create(config, { model, seed }): Adapter {
    const deltas = new Map<string, tf.Variable>(); // [in, out], as the backend keeps weights
    let k = seed;
    for (const module of linearModules(model).filter((m) => isTarget(m, config.target_modules))) {
      const size = model.config.hiddenSize;
      deltas.set(module, tf.variable(tf.randomNormal([size, size], 0, 0.05, 'float32', ++k), true));
    }
    return {
      type: 'DENSE_DELTA',
      config,
      numVirtualTokens: 0,
      training: false,
      variables: [...deltas.values()],
      hooks: {
        linear(module, x, _w, _b, y, rowScale) {
          const d = deltas.get(module);
          if (!d) return y;
          const change = tf.matMul(x, d);
          return tf.add(y, rowScale ? tf.mul(rowScale, change) : change) as tf.Tensor2D;
        },
      },
      async linearDelta() {
        const out = new Map<string, LinearDelta>();
        for (const [module, d] of deltas) {
          const t = tf.transpose(d); // the checkpoint layout [out, in]
          out.set(module, { kind: 'dense', data: (await t.data()) as Float32Array });
          t.dispose();
        }
        return out;
      },
      stateDict: () => new Map([...deltas].map(([m, v]) => [`${m}.delta`, tf.clone(v)])),
      loadStateDict(tensors) {
        for (const [m, v] of deltas) v.assign(tf.tensor(tensors.get(`${m}.delta`)!.values, v.shape));
      },
      dispose: () => tf.dispose([...deltas.values()]),
    };
  },
};

const TOKENS = [1, 17, 42, 5, 88, 3, 60];

describe('a custom adapter with linearDelta(), exported to ONNX', () => {
  let base: TfjsCausalLM;
  let adapted: AdaptedModel;
  beforeAll(async () => {
    registerAdapter(denseDelta);
    base = await loadTfjsModel(join(HF_DIR, 'llama-gqa'));
    adapted = new AdaptedModel(
      base,
      createAdapter(base, { peft_type: 'DENSE_DELTA', target_modules: ['o_proj'] }, { seed: 3 }),
    );
  });
  afterAll(() => {
    adapted.dispose();
    base.dispose();
  });

  it('changes the model (the test can fail)', async () => {
    expect(maxAbsDiff(await adapted.score(TOKENS), await base.score(TOKENS))).toBeGreaterThan(1e-3);
  });

  it('merged: the ONNX model gives the tfjs adapted logits (<= 1e-4)', async () => {
    const dir = join(await tempDir(), 'merged');
    await exportModel(adapted, dir);
    const onnx = await loadOnnxModel(dir);
    expect(maxAbsDiff(await onnx.score(TOKENS), await adapted.score(TOKENS))).toBeLessThanOrEqual(1e-4);
    onnx.dispose();
  });

  it('paired: base and adapted rows of one ONNX run give the tfjs logits (<= 1e-4)', async () => {
    const dir = join(await tempDir(), 'paired');
    await exportModel(adapted, dir, { paired: true });
    const onnx = await loadOnnxModel(dir);
    if (!isPaired(onnx)) throw new Error('a paired export must load as a PairedCausalLM');
    const both = await onnx.scorePaired(TOKENS);
    expect(maxAbsDiff(both.base, await base.score(TOKENS))).toBeLessThanOrEqual(1e-4);
    expect(maxAbsDiff(both.adapted, await adapted.score(TOKENS))).toBeLessThanOrEqual(1e-4);
    onnx.dispose();
  });
});
