// The README's example of a user-defined adapter type, registered from outside the package with
// the public API only: a BitFit-style trainable output bias on chosen linear layers.
import { loadTfjsModel } from '@svdecode/backend-tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  AdaptedModel,
  type Adapter,
  type AdapterType,
  createAdapter,
  isTarget,
  linearModules,
  loadAdapter,
  registerAdapter,
  saveAdapter,
  warmStart,
} from '../src/index.js';
import { BASE_DIR, maxAbsDiff, tempDir } from './helpers.js';

interface BiasConfig extends Record<string, unknown> {
  peft_type: 'OUTPUT_BIAS';
  target_modules: string[];
}

const outputBias: AdapterType<BiasConfig> = {
  type: 'OUTPUT_BIAS',
  parseConfig: (json) => ({
    peft_type: 'OUTPUT_BIAS',
    target_modules: (json.target_modules as string[]) ?? ['o_proj'],
  }),
  create(config, { model }): Adapter {
    const biases = new Map<string, tf.Variable>();
    for (const module of linearModules(model).filter((m) => isTarget(m, config.target_modules))) {
      biases.set(module, tf.variable(tf.zeros([model.config.hiddenSize]), true));
    }
    return {
      type: 'OUTPUT_BIAS',
      config,
      numVirtualTokens: 0,
      training: false,
      variables: [...biases.values()],
      hooks: {
        linear(module, _x, _w, _b, y, rowScale) {
          const bias = biases.get(module);
          if (!bias) return y;
          return tf.add(y, rowScale ? tf.mul(rowScale, bias) : bias) as tf.Tensor2D; // 0-scaled on base rows
        },
      },
      stateDict: () => new Map([...biases].map(([m, v]) => [`${m}.output_bias`, tf.clone(v)])),
      loadStateDict(tensors) {
        for (const [m, v] of biases) v.assign(tf.tensor1d(tensors.get(`${m}.output_bias`)!.values));
      },
      dispose: () => tf.dispose([...biases.values()]),
    };
  },
};

describe('a custom adapter type registered from outside', () => {
  it('trains, pairs, saves and loads like the built-ins', async () => {
    registerAdapter(outputBias);
    const model = await loadTfjsModel(BASE_DIR);
    const adapted = new AdaptedModel(
      model,
      createAdapter(model, { peft_type: 'OUTPUT_BIAS', target_modules: ['o_proj'] }),
    );
    const ids = [1, 2, 3, 4];
    expect(maxAbsDiff(await adapted.score(ids), await model.score(ids))).toBe(0);
    const examples = [{ prompt: [1, 2], completion: [3, 4] }];
    const result = await warmStart(adapted, examples, { learningRate: 0.1, epochs: 5 });
    expect(result.losses.at(-1)!).toBeLessThan(result.losses[0]!);
    const paired = adapted.createPairedSession();
    const both = await paired.append(ids);
    expect(maxAbsDiff(both.base, (await model.score(ids)).slice(-96))).toBeLessThanOrEqual(1e-5);
    expect(maxAbsDiff(both.adapted, (await adapted.score(ids)).slice(-96))).toBeLessThanOrEqual(1e-5);
    paired.dispose();
    const dir = await tempDir();
    await saveAdapter(adapted.adapter, dir);
    const reloaded = await loadAdapter(model, dir);
    expect(maxAbsDiff(await reloaded.score(ids), await adapted.score(ids))).toBe(0);
    model.dispose();
  });
});
