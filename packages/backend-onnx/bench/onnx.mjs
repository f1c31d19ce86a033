// ONNX backend benchmark, one run, same exported model (random Llama, 51.7M parameters): greedy
// tokens/s of our onnxruntime backend vs transformers.js on the same directory; steered decoding
// with the paired export vs plain adapted decoding; the tfjs backend on the same weights.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoModelForCausalLM, env, Tensor } from '@huggingface/transformers';
import { randomLlama } from '@svdecode/backend-tfjs';
import { machine, table } from '@svdecode/bench';
import { AdaptedModel, createAdapter, defaultAdapterConfig } from '@svdecode/peft';
import { generateAll } from '@svdecode/sampler';
import { exportOnnx, loadOnnxModel } from '../dist/index.js';

process.env.SVDECODE_QUIET = '1';
const NEW = 48;
const prompt = Array.from({ length: 16 }, (_, i) => 3 + ((i * 7919) % 30000));
const root = await mkdtemp(join(tmpdir(), 'svdecode-onnx-bench-'));
try {
  const tfjs = await randomLlama({
    vocabSize: 32000,
    hiddenSize: 512,
    numLayers: 8,
    numHeads: 8,
    numKvHeads: 4,
    intermediateSize: 1024,
    seed: 5,
  });
  const adapted = new AdaptedModel(
    tfjs,
    createAdapter(tfjs, defaultAdapterConfig('lora', tfjs), { seed: 1 }),
  );
  await exportOnnx(tfjs, join(root, 'plain'));
  await exportOnnx(adapted, join(root, 'merged'));
  await exportOnnx(adapted, join(root, 'paired'), { paired: true });
  const plain = await loadOnnxModel(join(root, 'plain'));
  const merged = await loadOnnxModel(join(root, 'merged'));
  const paired = await loadOnnxModel(join(root, 'paired'));
  env.allowRemoteModels = false;
  env.localModelPath = root;
  const peer = await AutoModelForCausalLM.from_pretrained('plain', { dtype: 'fp32', device: 'cpu' });
  const input = new Tensor('int64', BigInt64Array.from(prompt.map(BigInt)), [1, prompt.length]);
  const mask = new Tensor('int64', new BigInt64Array(prompt.length).fill(1n), [1, prompt.length]);

  const candidates = {
    'onnx (ours), greedy': () => generateAll(plain.createSession(), prompt, { maxNewTokens: NEW }),
    'transformers.js, greedy': () =>
      peer.generate({
        input_ids: input,
        attention_mask: mask,
        max_new_tokens: NEW,
        min_new_tokens: NEW,
        do_sample: false,
      }),
    'onnx, plain adapted (merged LoRA)': () =>
      generateAll(merged.createSession(), prompt, { maxNewTokens: NEW }),
    'onnx, steered (paired export)': () =>
      generateAll(paired.createPairedSession(), prompt, { maxNewTokens: NEW, steer: { mu: 0.5 } }),
    'tfjs-wasm, greedy': () => generateAll(tfjs.createSession(), prompt, { maxNewTokens: NEW }),
  };
  const times = Object.fromEntries(Object.keys(candidates).map((k) => [k, []]));
  for (const fn of Object.values(candidates)) await fn(); // warm-up
  for (let round = 0; round < 7; round++) {
    for (const [name, fn] of Object.entries(candidates)) {
      const t0 = process.hrtime.bigint();
      await fn();
      times[name].push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
  }
  const tps = Object.fromEntries(
    Object.entries(times).map(([k, v]) => [k, NEW / v.sort((a, b) => a - b)[1]]),
  );
  console.log(
    `ONNX benchmark — random Llama 51.7M params, 16-token prompt + ${NEW} new tokens, median of 7 — onnxruntime-node 1.30 CPU, ${machine()}\n`,
  );
  console.log(table(Object.entries(tps).map(([k, v]) => ({ decoding: k, 'tokens/s': v.toFixed(1) }))));
  console.log(
    `\nours / transformers.js: ${(tps['onnx (ours), greedy'] / tps['transformers.js, greedy']).toFixed(2)}x (target >= 1.0)`,
  );
  console.log(
    `steered (paired) / plain adapted: ${(tps['onnx, steered (paired export)'] / tps['onnx, plain adapted (merged LoRA)']).toFixed(2)}x (target >= 0.75)`,
  );
  console.log(`onnx / tfjs-wasm: ${(tps['onnx (ours), greedy'] / tps['tfjs-wasm, greedy']).toFixed(2)}x`);
  await peer.dispose();
} finally {
  await rm(root, { recursive: true, force: true });
}
