import { SvdecodeError } from '@svdecode/core';
import { type CheckpointWeights, parseLinearModule } from '@svdecode/hf-io';
import * as tf from '@tensorflow/tfjs-core';
import type { TfjsCausalLM } from './model.js';
import type { LayerWeights } from './weights.js';

/**
 * A loaded model's weights by checkpoint name, float32, in the checkpoint layout (linear [out, in]):
 * the shape the exporters read (`CheckpointWeights` of `@svdecode/hf-io`), so a model trained or adapted
 * in tfjs exports without going through files.
 */
export function checkpointWeights(model: TfjsCausalLM): CheckpointWeights {
  const w = model.weights;
  const find = (name: string): { t: tf.Tensor; transpose: boolean } | undefined => {
    if (name === 'model.embed_tokens.weight') return { t: w.embed, transpose: false };
    if (name === 'model.norm.weight') return { t: w.norm, transpose: false };
    if (name === 'lm_head.weight') return { t: w.lmHead, transpose: true };
    const norm = /^model\.layers\.(\d+)\.(input_layernorm|post_attention_layernorm)\.weight$/.exec(name);
    if (norm) {
      const layer = w.layers[Number(norm[1])];
      return (
        layer && { t: norm[2] === 'input_layernorm' ? layer.inputNorm : layer.postNorm, transpose: false }
      );
    }
    const linear = /^(.*)\.(weight|bias)$/.exec(name);
    const path = linear ? parseLinearModule(linear[1]!) : undefined;
    const layer = path ? w.layers[path.layer] : undefined;
    if (!path || !layer) return undefined;
    // the backend keeps linear weights as [in, out]
    if (linear![2] === 'weight') return { t: layer[path.proj], transpose: true };
    const bias = layer[`${path.proj}Bias` as keyof LayerWeights];
    return bias && { t: bias, transpose: false };
  };
  return {
    config: model.config,
    async tensor(name, shape) {
      const found = find(name);
      if (!found) {
        throw new SvdecodeError('MISSING_WEIGHT', `${model.info.name} has no weight ${name}`, {
          details: { tensor: name },
        });
      }
      const t = found.transpose ? tf.transpose(found.t) : found.t;
      const actual = t.shape;
      const data = Float32Array.from((await t.data()) as Float32Array);
      if (found.transpose) t.dispose();
      if (actual.length !== shape.length || actual.some((d, i) => d !== shape[i])) {
        throw new SvdecodeError('WEIGHT_SHAPE_MISMATCH', `${name} is [${actual}], expected [${shape}]`, {
          details: { tensor: name, actual, expected: [...shape] },
        });
      }
      return data;
    },
  };
}
