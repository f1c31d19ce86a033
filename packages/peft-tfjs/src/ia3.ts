import type { ForwardHooks } from '@svdecode/backend-tfjs';
import type { LinearDelta } from '@svdecode/hf-io';
import { checkLoaded, type Ia3Config, isTarget, parseIa3Config, targetedModules } from '@svdecode/peft';
import * as tf from '@tensorflow/tfjs-core';
import type { Adapter, AdapterContext, AdapterType } from './adapter.js';
import { weightShape } from './lora.js';

interface Ia3Module {
  l: tf.Variable;
  /** feed-forward modules scale their input ([1, in]); the others their output ([out, 1]) */
  input: boolean;
}

class Ia3Adapter implements Adapter {
  readonly type = 'IA3';
  readonly numVirtualTokens = 0;
  training = false;
  readonly modules = new Map<string, Ia3Module>();
  readonly hooks: ForwardHooks;

  constructor(
    readonly config: Ia3Config,
    ctx: AdapterContext,
  ) {
    const targets = targetedModules(ctx.model, config.target_modules, 'IA3');
    for (const module of targets) {
      const [outDim, inDim] = weightShape(ctx.model, module);
      const input = isTarget(module, config.feedforward_modules);
      // ones: a fresh IA3 adapter is the identity
      this.modules.set(module, { l: tf.variable(tf.ones(input ? [1, inDim] : [outDim, 1]), true), input });
    }
    this.hooks = {
      linear: (module, x, weight, bias, y, rowScale) => {
        const m = this.modules.get(module);
        if (!m) return y;
        // with a row scale s the effective vector is 1 + s (l - 1): s = 0 gives the base row exactly
        let scale: tf.Tensor = m.input ? m.l : tf.reshape(m.l, [1, -1]);
        if (rowScale) scale = tf.add(1, tf.mul(rowScale, tf.sub(scale, 1)));
        if (!m.input) return tf.mul(y, scale) as tf.Tensor2D;
        const scaled = tf.matMul(tf.mul(x, scale) as tf.Tensor2D, weight);
        return (bias ? tf.add(scaled, bias) : scaled) as tf.Tensor2D;
      },
    };
  }

  get variables(): tf.Variable[] {
    return [...this.modules.values()].map((m) => m.l);
  }

  stateDict(): Map<string, tf.Tensor> {
    return new Map(
      [...this.modules].map(([module, m]) => [`base_model.model.${module}.ia3_l`, tf.clone(m.l)]),
    );
  }

  loadStateDict(
    tensors: ReadonlyMap<string, { shape: number[]; values: Float32Array }>,
    source: string,
  ): void {
    for (const [module, m] of this.modules) {
      m.l.assign(
        tf.tensor(checkLoaded(tensors, `base_model.model.${module}.ia3_l`, m.l.shape, source), m.l.shape),
      );
    }
  }

  async linearDelta(): Promise<ReadonlyMap<string, LinearDelta>> {
    const out = new Map<string, LinearDelta>();
    for (const [module, m] of this.modules)
      out.set(module, {
        kind: 'scale',
        vector: (await m.l.data()) as Float32Array,
        axis: m.input ? 'in' : 'out',
      });
    return out;
  }

  dispose(): void {
    for (const m of this.modules.values()) m.l.dispose();
  }
}

export const ia3Type: AdapterType<Ia3Config> = {
  type: 'IA3',
  parseConfig: parseIa3Config,
  create: (config, ctx) => new Ia3Adapter(config, ctx),
};
