import type { ForwardHooks } from '@svdecode/backend-tfjs';
import { SvdecodeError } from '@svdecode/core';
import type { LinearDelta } from '@svdecode/hf-io';
import {
  checkLoaded,
  type LoraConfig,
  parseLinearModule,
  parseLoraConfig,
  patternValue,
  seededValues,
  targetedModules,
} from '@svdecode/peft';
import * as tf from '@tensorflow/tfjs-core';
import type { Adapter, AdapterContext, AdapterType } from './adapter.js';

interface LoraModule {
  a: tf.Variable;
  b: tf.Variable;
  scaling: number;
  rank: number;
}

class LoraAdapter implements Adapter {
  readonly type = 'LORA';
  readonly numVirtualTokens = 0;
  training = false;
  readonly modules = new Map<string, LoraModule>();
  readonly hooks: ForwardHooks;
  #dropoutStep = 0;

  constructor(
    readonly config: LoraConfig,
    private readonly ctx: AdapterContext,
  ) {
    const model = ctx.model;
    const targets = targetedModules(model, config.target_modules, 'LoRA');
    targets.forEach((module, i) => {
      const [outDim, inDim] = weightShape(model, module);
      const rank = patternValue(module, config.rank_pattern) ?? config.r;
      const alpha = patternValue(module, config.alpha_pattern) ?? config.lora_alpha;
      // PEFT's init: A ~ kaiming-uniform (bound 1/sqrt(in)), B = 0, so a fresh adapter is the identity
      const a = tf.variable(
        tf.tensor2d(seededValues(rank * inDim, ctx.seed * 7919 + i, 'uniform', 1 / Math.sqrt(inDim)), [
          rank,
          inDim,
        ]),
        true,
      );
      const b = tf.variable(tf.zeros([outDim, rank]), true);
      this.modules.set(module, {
        a,
        b,
        rank,
        scaling: config.use_rslora ? alpha / Math.sqrt(rank) : alpha / rank,
      });
    });
    this.hooks = {
      linear: (module, x, _weight, _bias, y, rowScale) => {
        const m = this.modules.get(module);
        if (!m) return y;
        let input = x;
        if (this.training && this.config.lora_dropout > 0) {
          input = tf.dropout(
            x,
            this.config.lora_dropout,
            undefined,
            this.ctx.seed * 100_003 + this.#dropoutStep++,
          ) as tf.Tensor2D;
        }
        let delta = tf.mul(
          tf.matMul(tf.matMul(input, tf.transpose(m.a)), tf.transpose(m.b)),
          m.scaling,
        ) as tf.Tensor2D;
        if (rowScale) delta = tf.mul(delta, rowScale);
        return tf.add(y, delta);
      },
    };
  }

  get variables(): tf.Variable[] {
    return [...this.modules.values()].flatMap((m) => [m.a, m.b]);
  }

  stateDict(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    for (const [module, m] of this.modules) {
      out.set(`base_model.model.${module}.lora_A.weight`, tf.clone(m.a));
      out.set(`base_model.model.${module}.lora_B.weight`, tf.clone(m.b));
    }
    return out;
  }

  loadStateDict(
    tensors: ReadonlyMap<string, { shape: number[]; values: Float32Array }>,
    source: string,
  ): void {
    for (const [module, m] of this.modules) {
      m.a.assign(
        tf.tensor2d(
          checkLoaded(tensors, `base_model.model.${module}.lora_A.weight`, m.a.shape, source),
          m.a.shape as [number, number],
        ),
      );
      m.b.assign(
        tf.tensor2d(
          checkLoaded(tensors, `base_model.model.${module}.lora_B.weight`, m.b.shape, source),
          m.b.shape as [number, number],
        ),
      );
    }
  }

  async linearDelta(): Promise<ReadonlyMap<string, LinearDelta>> {
    const out = new Map<string, LinearDelta>();
    for (const [module, m] of this.modules) {
      out.set(module, {
        kind: 'low-rank',
        a: (await m.a.data()) as Float32Array,
        b: (await m.b.data()) as Float32Array,
        rank: m.rank,
        scaling: m.scaling,
      });
    }
    return out;
  }

  dispose(): void {
    for (const m of this.modules.values()) tf.dispose([m.a, m.b]);
  }
}

/** [out, in] (the checkpoint layout) of a linear module of the model. */
export function weightShape(model: AdapterContext['model'], module: string): [number, number] {
  const path = parseLinearModule(module);
  const w = path ? (model.weights.layers[path.layer]?.[path.proj] as tf.Tensor2D | undefined) : undefined;
  if (!w) throw new SvdecodeError('CONFIG_INVALID', `no linear module ${module} in ${model.info.name}`);
  // the backend stores linear weights as [in, out]
  return [w.shape[1], w.shape[0]];
}

export const loraType: AdapterType<LoraConfig> = {
  type: 'LORA',
  parseConfig: parseLoraConfig,
  create: (config, ctx) => new LoraAdapter(config, ctx),
};
