// shown in: packages/peft-tfjs/README.md
import {
  AdaptedModel,
  type Adapter,
  type AdapterType,
  createAdapter,
  isTarget,
  linearModules,
  registerAdapter,
  tf, // the TensorFlow.js that peft-tfjs runs on: one instance, so tensors meet
  warmStart,
} from '@svdecode/peft-tfjs';
import { loadTiny } from '@svdecode/tiny';

/** A BitFit-style adapter: a trainable bias added to the output of chosen linear layers. */
interface OutputBiasConfig extends Record<string, unknown> {
  peft_type: 'OUTPUT_BIAS';
  target_modules: string[];
}

const outputBias: AdapterType<OutputBiasConfig> = {
  type: 'OUTPUT_BIAS',
  parseConfig: (json) => ({
    peft_type: 'OUTPUT_BIAS',
    target_modules: Array.isArray(json.target_modules) ? (json.target_modules as string[]) : ['o_proj'],
  }),
  create(config, { model }): Adapter {
    const biases = new Map<string, tf.Variable>();
    for (const module of linearModules(model).filter((m) => isTarget(m, config.target_modules)))
      biases.set(module, tf.variable(tf.zeros([model.config.hiddenSize]), true));
    return {
      type: 'OUTPUT_BIAS',
      config,
      numVirtualTokens: 0,
      training: false,
      variables: [...biases.values()],
      hooks: {
        // rowScale is 0 on base rows and 1 on adapted rows of a paired forward
        linear(module, _x, _w, _b, y, rowScale) {
          const bias = biases.get(module);
          return bias ? (tf.add(y, rowScale ? tf.mul(rowScale, bias) : bias) as tf.Tensor2D) : y;
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

registerAdapter(outputBias);
const { model, tokenizer } = await loadTiny({ quiet: true });
const adapted = new AdaptedModel(
  model,
  createAdapter(model, { peft_type: 'OUTPUT_BIAS', target_modules: ['o_proj'] }),
);
const rows = [
  {
    prompt: tokenizer.encode('Q: What is the capital of Peru?\nA:'),
    completion: tokenizer.encode(' Lima', { addSpecialTokens: false }),
  },
];
const { losses } = await warmStart(adapted, rows, { epochs: 5, learningRate: 0.05 });
console.log(`loss ${losses[0]!.toFixed(3)} -> ${losses.at(-1)!.toFixed(3)}`); // it trains, pairs and saves like LoRA
adapted.dispose();
model.dispose();
