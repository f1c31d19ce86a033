// ONNX backend benchmark, one run, same exported model (random Llama, 51.7M parameters): greedy
// tokens/s of our onnxruntime backend vs transformers.js on the same directory; steered decoding
// with the paired export vs plain adapted decoding; lazy base vs eager steered decoding (random init:
// the worst case, the base is needed every step); the tfjs backend on the same weights.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoModelForCausalLM, env, Tensor } from '@huggingface/transformers';
import { defaultThreads, loadOnnxModel } from '@svdecode/backend-onnx';
import { checkpointWeights, randomLlama } from '@svdecode/backend-tfjs';
import { LLAMA_51M, machine, record, table } from '@svdecode/bench';
import { pairSessions } from '@svdecode/core';
import { exportOnnx } from '@svdecode/onnx-export';
import { AdaptedModel, createAdapter, defaultAdapterConfig } from '@svdecode/peft-tfjs';
import { generateAll } from '@svdecode/sampler';

process.env.SVDECODE_QUIET = '1';
const NEW = 48;
const ROUNDS = 11;
const prompt = Array.from({ length: 16 }, (_, i) => 3 + ((i * 7919) % 30000));
const root = await mkdtemp(join(tmpdir(), 'svdecode-onnx-bench-'));
const lazySkipped = [];
try {
  const tfjs = await randomLlama({ ...LLAMA_51M, seed: 5 });
  const adapted = new AdaptedModel(
    tfjs,
    createAdapter(tfjs, defaultAdapterConfig('lora', tfjs), { seed: 1 }),
  );
  await exportOnnx(checkpointWeights(tfjs), join(root, 'plain'));
  await exportOnnx(checkpointWeights(tfjs), join(root, 'merged'), { adapter: adapted.adapter });
  // the steering step in JavaScript (the default at this vocabulary puts it in the graph)
  await exportOnnx(checkpointWeights(tfjs), join(root, 'paired'), {
    adapter: adapted.adapter,
    paired: true,
    steering: false,
  });
  await exportOnnx(checkpointWeights(tfjs), join(root, 'in-graph'), {
    adapter: adapted.adapter,
    paired: true,
    steering: true,
  });
  const plain = await loadOnnxModel(join(root, 'plain'));
  const merged = await loadOnnxModel(join(root, 'merged'));
  const paired = await loadOnnxModel(join(root, 'paired'));
  const inGraph = await loadOnnxModel(join(root, 'in-graph'));
  env.allowRemoteModels = false;
  env.localModelPath = root;
  const peer = await AutoModelForCausalLM.from_pretrained('plain', { dtype: 'fp32', device: 'cpu' });
  // the same graph on transformers.js with our thread count: what is left is per-token JavaScript
  const threads = defaultThreads();
  const peerThreads = await AutoModelForCausalLM.from_pretrained('plain', {
    dtype: 'fp32',
    device: 'cpu',
    session_options: { intraOpNumThreads: threads },
  });
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
    [`transformers.js, greedy, ${threads} threads`]: () =>
      peerThreads.generate({
        input_ids: input,
        attention_mask: mask,
        max_new_tokens: NEW,
        min_new_tokens: NEW,
        do_sample: false,
      }),
    'onnx, plain adapted (merged LoRA)': () =>
      generateAll(merged.createSession(), prompt, { maxNewTokens: NEW }),
    'onnx, steered (paired export, steering in JavaScript)': () =>
      generateAll(paired.createPairedSession(), prompt, { maxNewTokens: NEW, steer: { mu: 0.5 } }),
    'onnx, steered (paired export, steering in the graph)': () =>
      generateAll(inGraph.createPairedSession(), prompt, { maxNewTokens: NEW, steer: { mu: 0.5 } }),
    // random init: no step has a one-token confident set, so the base runs every step (the worst case)
    'onnx, steered, lazy base (paired export)': async () => {
      const r = await generateAll(paired.createLazyPairedSession(), prompt, {
        maxNewTokens: NEW,
        steer: { mu: 0.5 },
      });
      lazySkipped.push(r.baseSkipped);
      return r;
    },
    'onnx, steered (unpaired: base + merged sessions)': () =>
      generateAll(pairSessions(plain.createSession(), merged.createSession()), prompt, {
        maxNewTokens: NEW,
        steer: { mu: 0.5 },
      }),
    'tfjs-wasm, greedy': () => generateAll(tfjs.createSession(), prompt, { maxNewTokens: NEW }),
  };
  const times = Object.fromEntries(Object.keys(candidates).map((k) => [k, []]));
  for (const fn of Object.values(candidates)) await fn(); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, fn] of Object.entries(candidates)) {
      const t0 = process.hrtime.bigint();
      await fn();
      times[name].push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
  }
  // tokens/s: median of the 7 rounds, with the slowest and fastest round as the spread
  const spread = Object.fromEntries(
    Object.entries(times).map(([k, v]) => {
      const sorted = [...v].sort((a, b) => a - b);
      return [k, { median: NEW / sorted[ROUNDS >> 1], low: NEW / sorted[ROUNDS - 1], high: NEW / sorted[0] }];
    }),
  );
  const tps = Object.fromEntries(Object.entries(spread).map(([k, v]) => [k, v.median]));
  const entry = (name, baseline, target) =>
    record({
      group: 'decode, 51.7M random Llama',
      name,
      value: tps[name],
      unit: 'tokens/s',
      p10: spread[name].low,
      p90: spread[name].high,
      runs: ROUNDS,
      ...(baseline ? { baseline, baselineValue: tps[baseline], ratio: tps[name] / tps[baseline] } : {}),
      ...(target ? { target } : {}),
    });
  entry('onnx (ours), greedy', 'transformers.js, greedy', '>= 1.0');
  entry('transformers.js, greedy');
  entry(`transformers.js, greedy, ${threads} threads`, 'onnx (ours), greedy');
  // every round runs both: the ratio of each round, so that "every run" can be checked
  const perRound = times['transformers.js, greedy'].map((t, i) => t / times['onnx (ours), greedy'][i]);
  const roundsMet = perRound.filter((r) => r >= 1).length;
  record({
    group: 'decode, 51.7M random Llama',
    name: 'onnx (ours) / transformers.js, greedy, lowest round',
    value: Math.min(...perRound),
    unit: 'x',
    baseline: 'transformers.js, same round',
    baselineValue: 1,
    ratio: Math.min(...perRound),
    p10: Math.min(...perRound),
    p90: Math.max(...perRound),
    runs: ROUNDS,
    target: '>= 1.0 in every round',
  });
  entry('onnx, plain adapted (merged LoRA)');
  entry('onnx, steered (paired export, steering in JavaScript)', 'onnx, plain adapted (merged LoRA)');
  entry(
    'onnx, steered (paired export, steering in the graph)',
    'onnx, plain adapted (merged LoRA)',
    '>= 0.85',
  );
  entry('onnx, steered (unpaired: base + merged sessions)', 'onnx, plain adapted (merged LoRA)');
  // the worst case for lazy base decoding: every step needs the base
  entry(
    'onnx, steered, lazy base (paired export)',
    'onnx, steered (paired export, steering in the graph)',
    '>= 0.97',
  );
  const skipped = lazySkipped.reduce((a, x) => a + x, 0) / lazySkipped.length;
  entry('tfjs-wasm, greedy', 'onnx (ours), greedy');
  console.log(
    `ONNX benchmark — random Llama 51.7M params, 16-token prompt + ${NEW} new tokens, median of ${ROUNDS} rounds — onnxruntime-node 1.30 CPU, ${machine()}\n`,
  );
  console.log(table(Object.entries(tps).map(([k, v]) => ({ decoding: k, 'tokens/s': v.toFixed(1) }))));
  console.log(
    `\nours / transformers.js: ${(tps['onnx (ours), greedy'] / tps['transformers.js, greedy']).toFixed(2)}x (target >= 1.0); per round ${Math.min(...perRound).toFixed(2)}-${Math.max(...perRound).toFixed(2)}, ${roundsMet}/${ROUNDS} rounds >= 1.0`,
  );
  console.log(
    `ours / transformers.js with ${threads} threads (same session options): ${(tps['onnx (ours), greedy'] / tps[`transformers.js, greedy, ${threads} threads`]).toFixed(2)}x`,
  );
  console.log(
    `steered (paired) / plain adapted: ${(tps['onnx, steered (paired export, steering in JavaScript)'] / tps['onnx, plain adapted (merged LoRA)']).toFixed(2)}x, steering in the graph ${(tps['onnx, steered (paired export, steering in the graph)'] / tps['onnx, plain adapted (merged LoRA)']).toFixed(2)}x (target >= 0.85)`,
  );
  console.log(
    `lazy base / eager steered (random init, base skipped on ${(100 * skipped).toFixed(1)} % of steps): ${(tps['onnx, steered, lazy base (paired export)'] / tps['onnx, steered (paired export, steering in the graph)']).toFixed(3)}x (target >= 0.97)`,
  );
  console.log(`onnx / tfjs-wasm: ${(tps['onnx (ours), greedy'] / tps['tfjs-wasm, greedy']).toFixed(2)}x`);
  await peer.dispose();
  await peerThreads.dispose();
} finally {
  await rm(root, { recursive: true, force: true });
}
