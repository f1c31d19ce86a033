// PEFT benchmarks, one run: (1) one paired step (base + adapted rows in one batched forward) against
// two separate steps, per method; (2) warm-start tokens/s for LoRA against full fine-tuning of the
// same model; (3) trainable parameters per method; (4) peak memory of steered (paired) decoding
// against plain adapted decoding; (5) lazy base vs eager steered decoding on a random-init model.

import { enableGradients, parameterCount, randomLlama } from '@svdecode/backend-tfjs';
import { fmt, LLAMA_51M, machine, record, table } from '@svdecode/bench';
import { AdaptedModel, createAdapter, defaultAdapterConfig, warmStart } from '@svdecode/peft-tfjs';
import { generateAll } from '@svdecode/sampler';
import * as tf from '@tensorflow/tfjs-core';

process.env.SVDECODE_QUIET = '1';
const METHODS = ['lora', 'ia3', 'prompt-tuning', 'p-tuning-v2'];

async function median(fn, runs = 7) {
  for (let i = 0; i < 2; i++) await fn();
  const t = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    t.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return t.sort((a, b) => a - b)[runs >> 1];
}

const model = await randomLlama({ ...LLAMA_51M, seed: 3 });
console.log(
  `PEFT benchmark — random Llama ${(parameterCount(model) / 1e6).toFixed(1)}M params (d 512, 8 layers, V 32000), tfjs-${model.info.backend}, ${machine()}\n`,
);

// (1) + (3) + (4)
const prompt = Array.from({ length: 64 }, (_, i) => (i * 7919) % 32000);
const rows = [];
for (const method of METHODS) {
  const adapted = new AdaptedModel(
    model,
    createAdapter(model, defaultAdapterConfig(method, model), { seed: 1 }),
  );
  const paired = adapted.createPairedSession();
  await paired.append(prompt);
  const base = model.createSession();
  await base.append(prompt);
  const alone = adapted.createSession();
  await alone.append(prompt);
  const pairedStep = await median(async () => {
    const f = paired.fork();
    await f.append([5]);
    f.dispose();
  });
  const plainStep = await median(async () => {
    const a = alone.fork();
    await a.append([5]);
    a.dispose();
  });
  const separate = await median(async () => {
    const b = base.fork();
    const a = alone.fork();
    await b.append([5]);
    await a.append([5]);
    b.dispose();
    a.dispose();
  });
  // peak tensor memory while decoding 16 tokens: plain adapted vs paired (steered) sessions
  const peak = async (session) => {
    const start = tf.memory().numBytes;
    let max = start;
    for (let i = 0; i < 16; i++) {
      await session.append([(i * 31) % 32000]);
      max = Math.max(max, tf.memory().numBytes);
    }
    return max;
  };
  const plainPeak = await peak(alone.fork());
  const steeredPeak = await peak(paired.fork());
  const trainable = adapted.adapter.variables.reduce((a, v) => a + v.size, 0);
  record({
    group: 'decode, 51.7M random Llama',
    name: `tfjs ${method}: steered decoding (paired, one batched step)`,
    value: 1000 / pairedStep,
    unit: 'tokens/s',
    baseline: 'steered decoding (unpaired: two separate steps)',
    baselineValue: 1000 / separate,
    ratio: separate / pairedStep,
  });
  record({
    group: 'decode, 51.7M random Llama',
    name: `tfjs ${method}: steered (paired) vs plain adapted decoding`,
    value: 1000 / pairedStep,
    unit: 'tokens/s',
    baseline: 'plain adapted decoding',
    baselineValue: 1000 / plainStep,
    ratio: plainStep / pairedStep,
    target: '>= 0.75',
  });
  record({
    group: 'memory',
    name: `tfjs ${method}: peak tensor memory, steered / plain`,
    value: steeredPeak,
    unit: 'bytes',
    baseline: 'plain adapted decoding',
    baselineValue: plainPeak,
    ratio: steeredPeak / plainPeak,
    target: '<= 1.1',
  });
  rows.push({
    method,
    'trainable params': trainable.toLocaleString('en-US'),
    'paired step': fmt(pairedStep),
    'two separate steps': fmt(separate),
    'paired / separate': (pairedStep / separate).toFixed(2),
    'tensor memory, steered / plain': (steeredPeak / plainPeak).toFixed(3),
  });
  for (const s of [paired, base, alone]) s.dispose();
  adapted.dispose();
}
console.log(table(rows));
console.log(
  `(full model: ${parameterCount(model).toLocaleString('en-US')} parameters; "tensor memory" counts the weights, shared by both rows, plus caches)`,
);

// (5) lazy base vs eager steered decoding, LoRA, 24 new tokens: random init is the worst case (no
// step has a one-token confident set, so the base runs every step), interleaved rounds
{
  const adapted = new AdaptedModel(
    model,
    createAdapter(model, defaultAdapterConfig('lora', model), { seed: 1 }),
  );
  const options = { maxNewTokens: 24, eosTokenIds: [], steer: { mu: 0.5 } };
  const short = prompt.slice(0, 16);
  const skipped = [];
  const candidates = {
    eager: () => generateAll(adapted.createPairedSession(), short, { ...options, lazyBase: false }),
    lazy: async () => {
      const r = await generateAll(adapted.createLazyPairedSession(), short, options);
      skipped.push(r.baseSkipped);
    },
  };
  const times = { eager: [], lazy: [] };
  for (const fn of Object.values(candidates)) await fn();
  for (let round = 0; round < 5; round++)
    for (const [name, fn] of Object.entries(candidates)) {
      const t0 = process.hrtime.bigint();
      await fn();
      times[name].push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
  const tps = (name) => 24 / [...times[name]].sort((a, b) => a - b)[2];
  const share = skipped.reduce((a, x) => a + x, 0) / skipped.length;
  record({
    group: 'decode, 51.7M random Llama',
    name: `tfjs lora: steered, lazy base (random init: base skipped on ${(100 * share).toFixed(1)} % of steps)`,
    value: tps('lazy'),
    unit: 'tokens/s',
    baseline: 'steered, eager (paired)',
    baselineValue: tps('eager'),
    ratio: tps('lazy') / tps('eager'),
    target: '>= 0.97',
    p10: 24 / Math.max(...times.lazy),
    p90: 24 / Math.min(...times.lazy),
    runs: 5,
  });
  console.log(
    `\nlazy base / eager steered decoding (LoRA, random init, base skipped on ${(100 * share).toFixed(1)} % of steps): ${(tps('lazy') / tps('eager')).toFixed(3)}x (${tps('lazy').toFixed(1)} vs ${tps('eager').toFixed(1)} tokens/s)`,
  );
  adapted.dispose();
}

// (2) warm-start throughput on a smaller model: LoRA vs full fine-tuning (every layer weight; the
// embedding stays frozen because wasm lacks gather's gradient)
await enableGradients();
const small = await randomLlama({
  vocabSize: 8000,
  hiddenSize: 256,
  numLayers: 4,
  numHeads: 4,
  intermediateSize: 512,
  seed: 4,
  std: 0.05,
});
const examples = Array.from({ length: 12 }, (_, i) => ({
  prompt: Array.from({ length: 48 }, (_, j) => (i * 131 + j * 17) % 8000),
  completion: Array.from({ length: 16 }, (_, j) => (i * 7 + j * 3) % 8000),
}));
const loraModel = new AdaptedModel(
  small,
  createAdapter(small, defaultAdapterConfig('lora', small), { seed: 2 }),
);
const lora = await warmStart(loraModel, examples, { learningRate: 1e-3 });

// full fine-tuning: every layer weight and the LM head as variables, plain Adam through tfjs
const full = small.weights.layers.flatMap((layer) => Object.keys(layer).map((k) => [layer, k]));
const variables = full.map(([layer, k]) => {
  const v = tf.variable(layer[k], true);
  layer[k] = v;
  return v;
});
const head = tf.variable(small.weights.lmHead, true);
small.weights.lmHead = head;
variables.push(head);
const optimizer = tf.train.adam(1e-4);
const V = 8000;
const t0 = Date.now();
let tokens = 0;
for (const e of examples) {
  const ids = [...e.prompt, ...e.completion];
  optimizer.minimize(
    () => {
      const out = small.forward({
        ids: Int32Array.from(ids),
        batch: 1,
        seq: ids.length,
        positions: Int32Array.from(ids.keys()),
      });
      const logits = tf.reshape(out.logits, [ids.length, V]);
      const targets = tf.oneHot(tf.tensor1d([...ids.slice(1), 0], 'int32'), V);
      const weights = tf.tensor1d(
        ids.map((_, t) => (t >= e.prompt.length - 1 && t < ids.length - 1 ? 1 : 0)),
      );
      return tf.div(
        tf.neg(tf.sum(tf.mul(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), -1), weights))),
        e.completion.length,
      );
    },
    false,
    variables,
  );
  tokens += ids.length;
}
const fullSeconds = (Date.now() - t0) / 1000;
const fullTrainable = variables.reduce((a, v) => a + v.size, 0);
console.log(
  `\n${table([
    {
      training: 'LoRA (r 8, q/k/v/o)',
      'trainable params': loraModel.adapter.variables.reduce((a, v) => a + v.size, 0).toLocaleString('en-US'),
      'tokens/s': lora.tokensPerSecond.toFixed(0),
    },
    {
      training: 'full fine-tuning (all but the embedding)',
      'trainable params': fullTrainable.toLocaleString('en-US'),
      'tokens/s': (tokens / fullSeconds).toFixed(0),
    },
  ])}`,
);
record({
  group: 'warm-start',
  name: `LoRA warm-start (${(parameterCount(small) / 1e6).toFixed(1)}M random Llama)`,
  value: lora.tokensPerSecond,
  unit: 'tokens/s',
  baseline: 'full fine-tuning',
  baselineValue: tokens / fullSeconds,
  ratio: lora.tokensPerSecond / (tokens / fullSeconds),
});
console.log(
  `LoRA / full fine-tuning throughput: ${(lora.tokensPerSecond / (tokens / fullSeconds)).toFixed(2)}x (model of ${(parameterCount(small) / 1e6).toFixed(1)}M params, 64-token rows)`,
);
