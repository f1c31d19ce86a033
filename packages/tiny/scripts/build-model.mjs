#!/usr/bin/env node
// Builds the embedded default from data/corpus.txt with fixed seeds: a byte-level BPE tokenizer
// (vocabulary 2,048), then a small Llama pre-trained on the corpus with tfjs (wasm backend), saved
// in the Hugging Face layout to model/. Usage: node scripts/build-model.mjs [--epochs 10] [--minutes 45]
// A fixed number of epochs keeps the result reproducible; --minutes is only a safety stop.
// Progress lines go to stdout; everything is written to a temporary directory renamed into place.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { enableGradients, matMulPlainGrad, randomLlama } from '@svdecode/backend-tfjs';
import { HfTokenizer, hfConfig, writeSafetensors } from '@svdecode/hf-io';
import { applyAdamW } from '@svdecode/peft';
import * as tf from '@tensorflow/tfjs-core';
import { trainByteLevelBpe } from '../dist/build.js';

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const MINUTES = arg('minutes', 45);
const MAX_EPOCHS = arg('epochs', 10);
const SEQ = 64;
const BATCH = 16;
const VOCAB = 2048;
const root = fileURLToPath(new URL('../', import.meta.url));
const started = Date.now();
const log = (msg) => console.log(`[${((Date.now() - started) / 1000).toFixed(0)}s] ${msg}`);

// 1. tokenizer
const lines = (await readFile(join(root, 'data', 'corpus.txt'), 'utf8')).trim().split('\n');
const tokenizerJson = trainByteLevelBpe(lines, { vocabSize: VOCAB, specialTokens: ['<pad>', '<s>', '</s>'] });
const tokenizerConfig = {
  bos_token: '<s>',
  eos_token: '</s>',
  pad_token: '<pad>',
  tokenizer_class: 'PreTrainedTokenizerFast',
  model_max_length: 512,
  add_bos_token: false,
};
const tokenizer = new HfTokenizer(tokenizerJson, tokenizerConfig);
log(`tokenizer: ${tokenizer.vocabSize} tokens`);

// 2. the token stream: <s> sentence </s> ..., cut into rows of SEQ + 1
const stream = [];
for (const line of lines) stream.push(1, ...tokenizer.encode(line, { addSpecialTokens: false }), 2);
const rows = [];
for (let i = 0; i + SEQ + 1 <= stream.length; i += SEQ) rows.push(stream.slice(i, i + SEQ + 1));
log(`corpus: ${stream.length} tokens, ${rows.length} rows of ${SEQ + 1}`);

// 3. model: tied embeddings, trained through a one-hot matmul (wasm lacks gather's gradient)
process.env.SVDECODE_QUIET = '1';
const model = await randomLlama({
  vocabSize: VOCAB,
  hiddenSize: 192,
  numLayers: 4,
  numHeads: 6,
  numKvHeads: 2,
  intermediateSize: 512,
  tied: true,
  std: 0.02,
  seed: 42,
});
await enableGradients();
const w = model.weights;
const embed = tf.variable(w.embed, true, 'embed');
w.embed = embed;
const vars = [embed];
for (const layer of w.layers) {
  for (const key of Object.keys(layer)) {
    const v = tf.variable(layer[key], true);
    layer[key] = v;
    vars.push(v);
  }
}
const norm = tf.variable(w.norm, true);
w.norm = norm;
vars.push(norm);
const params = vars.reduce((a, v) => a + v.size, 0);
log(`model: ${params.toLocaleString('en-US')} parameters`);
const m = vars.map((v) => tf.variable(tf.zerosLike(v), false));
const s = vars.map((v) => tf.variable(tf.zerosLike(v), false));
const positions = Int32Array.from({ length: BATCH * SEQ }, (_, i) => i % SEQ);

function loss(batch) {
  const inputs = batch.flatMap((r) => r.slice(0, SEQ));
  const targets = batch.flatMap((r) => r.slice(1));
  const oneHot = tf.oneHot(tf.tensor1d(inputs, 'int32'), VOCAB);
  const inputEmbeds = tf.reshape(matMulPlainGrad(oneHot, embed), [batch.length, SEQ, 192]);
  w.lmHead = tf.transpose(embed); // tied head, [hidden, vocab], recomputed inside the gradient tape
  const out = model.forward({
    ids: new Int32Array(batch.length * SEQ),
    batch: batch.length,
    seq: SEQ,
    positions: positions.subarray(0, batch.length * SEQ),
    inputEmbeds,
  });
  const logits = tf.reshape(out.logits, [batch.length * SEQ, VOCAB]);
  return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(targets, 'int32'), VOCAB), logits);
}

// 4. training: AdamW, warm-up then cosine decay over the planned steps, stop at the time budget
let next = 1234567;
const rand = () => {
  next = (Math.imul(next, 1664525) + 1013904223) >>> 0;
  return next / 2 ** 32;
};
const stepsPerEpoch = Math.floor(rows.length / BATCH);
const plannedSteps = { value: stepsPerEpoch * MAX_EPOCHS };
let step = 0;
let lossAvg = 0;
const budget = MINUTES * 60 * 1000;
outer: for (let epoch = 0; epoch < MAX_EPOCHS; epoch++) {
  const order = rows.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  for (let b = 0; b + BATCH <= order.length; b += BATCH) {
    const batch = order.slice(b, b + BATCH).map((i) => rows[i]);
    const { value, grads } = tf.variableGrads(() => loss(batch), vars);
    const lv = (await value.data())[0];
    value.dispose();
    const warm = 100;
    const progress = Math.min(1, step / plannedSteps.value);
    const rate =
      step < warm
        ? (3e-3 * (step + 1)) / warm
        : 3e-3 * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * progress)));
    const g = vars.map((v) => grads[v.name]);
    applyAdamW(vars, g, m, s, {
      rate,
      b1: 0.9,
      b2: 0.98,
      eps: 1e-8,
      weightDecay: 0.01,
      maxGradNorm: 1,
      step: step + 1,
      accum: 1,
    });
    tf.dispose(g);
    step++;
    lossAvg = step === 1 ? lv : 0.98 * lossAvg + 0.02 * lv;
    const elapsed = Date.now() - started;
    if (step % 50 === 0) {
      const tps = (step * BATCH * SEQ) / (elapsed / 1000);
      log(
        `epoch ${epoch + 1} step ${step}/${plannedSteps.value} loss ${lossAvg.toFixed(3)} ${tps.toFixed(0)} tok/s`,
      );
    }
    if (elapsed > budget) {
      log(`stopping at the ${MINUTES}-minute safety limit: the result is not the reproducible one`);
      break outer;
    }
  }
}
log(
  `trained ${step} steps (${((step * BATCH * SEQ) / stream.length).toFixed(1)} epochs), loss ${lossAvg.toFixed(3)}`,
);

// 5. save in the Hugging Face layout, atomically
const out = join(root, 'model');
const temp = `${out}.tmp-${process.pid}`;
await mkdir(temp, { recursive: true });
const tensors = { 'model.embed_tokens.weight': embed, 'model.norm.weight': norm };
const names = {
  q: 'self_attn.q_proj',
  k: 'self_attn.k_proj',
  v: 'self_attn.v_proj',
  o: 'self_attn.o_proj',
  gate: 'mlp.gate_proj',
  up: 'mlp.up_proj',
  down: 'mlp.down_proj',
  inputNorm: 'input_layernorm',
  postNorm: 'post_attention_layernorm',
};
w.layers.forEach((layer, l) => {
  // linear weights are stored [in, out]; the checkpoint layout is [out, in]
  for (const [key, name] of Object.entries(names))
    tensors[`model.layers.${l}.${name}.weight`] =
      layer[key].rank === 2 ? tf.transpose(layer[key]) : layer[key];
});
const entries = {};
for (const [name, t] of Object.entries(tensors))
  entries[name] = { dtype: 'F32', shape: t.shape, data: await t.data() };
await writeSafetensors(join(temp, 'model.safetensors'), entries, { format: 'pt' });
// the model's own config in the Hugging Face layout, with the context length it was trained for
const config = { ...hfConfig(model.config), max_position_embeddings: 512, pad_token_id: 0 };
await writeFile(join(temp, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
await writeFile(
  join(temp, 'generation_config.json'),
  `${JSON.stringify({ bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 }, null, 2)}\n`,
);
await writeFile(join(temp, 'tokenizer.json'), JSON.stringify(tokenizerJson));
await writeFile(join(temp, 'tokenizer_config.json'), `${JSON.stringify(tokenizerConfig, null, 2)}\n`);
await writeFile(
  join(temp, 'training.json'),
  `${JSON.stringify({ steps: step, batch: BATCH, seq: SEQ, finalLoss: lossAvg, seconds: (Date.now() - started) / 1000, parameters: params, corpusTokens: stream.length }, null, 2)}\n`,
);
await rm(out, { recursive: true, force: true });
await rename(temp, out);
log(`saved ${out}`);
