// llama.cpp vs ONNX Runtime vs tfjs on the same weights, one run, interleaved rounds: greedy tokens/s
// of plain adapted decoding (LoRA) and of steered decoding (mu 0.5, lazy base as by default), on the
// embedded model and on a 51.7M-parameter random-init Llama. Each backend runs its own export of the
// same weights and LoRA adapter (GGUF F32, ONNX merged / paired, tfjs in memory).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLlamaCppModel } from '@svdecode/backend-llama-cpp';
import { loadOnnxModel } from '@svdecode/backend-onnx';
import { checkpointWeights, randomLlama } from '@svdecode/backend-tfjs';
import { LLAMA_51M, machine, record, syntheticTokenizer, table } from '@svdecode/bench';
import { exportGguf, exportGgufLora } from '@svdecode/gguf-export';
import { exportOnnx } from '@svdecode/onnx-export';
import { AdaptedModel, createAdapter, defaultAdapterConfig, loadAdapter } from '@svdecode/peft-tfjs';
import { generateAll } from '@svdecode/sampler';
import { loadTiny, TINY_DEMO_ADAPTER_DIR, TINY_MODEL_DIR } from '@svdecode/tiny';

process.env.SVDECODE_QUIET = '1';
const root = await mkdtemp(join(tmpdir(), 'svdecode-backends-bench-'));
console.log(`backend comparison — ${machine()}\n`);

async function compare(label, { tfjsBase, adapted, tokenizerDir, prompt, newTokens, rounds }) {
  const dir = join(root, label.replace(/\W+/g, '-'));
  const weights = checkpointWeights(tfjsBase);
  await exportGguf(weights, join(dir, 'model.gguf'), { tokenizerDir });
  await exportGgufLora(adapted.adapter, tfjsBase.config, join(dir, 'lora.gguf'));
  await exportOnnx(weights, join(dir, 'merged'), { adapter: adapted.adapter });
  await exportOnnx(weights, join(dir, 'paired'), { adapter: adapted.adapter, paired: true });
  const llama = await loadLlamaCppModel(join(dir, 'model.gguf'), { lora: join(dir, 'lora.gguf') });
  const merged = await loadOnnxModel(join(dir, 'merged'));
  const paired = await loadOnnxModel(join(dir, 'paired'));
  const plain = { maxNewTokens: newTokens, eosTokenIds: [] };
  const steer = { ...plain, steer: { mu: 0.5 } };
  const candidates = {
    'llama.cpp plain adapted': () => generateAll(llama.createSession(), prompt, plain),
    'llama.cpp steered': () => generateAll(llama.createLazyPairedSession(), prompt, steer),
    'onnx plain adapted': () => generateAll(merged.createSession(), prompt, plain),
    'onnx steered': () => generateAll(paired.createLazyPairedSession(), prompt, steer),
    'tfjs plain adapted': () => generateAll(adapted.createSession(), prompt, plain),
    'tfjs steered': () => generateAll(adapted.createLazyPairedSession(), prompt, steer),
  };
  const times = Object.fromEntries(Object.keys(candidates).map((k) => [k, []]));
  for (const fn of Object.values(candidates)) await fn();
  for (let r = 0; r < rounds; r++)
    for (const [name, fn] of Object.entries(candidates)) {
      const t0 = process.hrtime.bigint();
      await fn();
      times[name].push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
  const tps = {};
  const rows = [];
  for (const [name, t] of Object.entries(times)) {
    const sorted = [...t].sort((a, b) => a - b);
    tps[name] = newTokens / sorted[sorted.length >> 1];
    record({
      group: `backends on the same weights: ${label}`,
      name,
      value: tps[name],
      unit: 'tokens/s',
      p10: newTokens / sorted.at(-1),
      p90: newTokens / sorted[0],
      runs: rounds,
    });
  }
  for (const name of Object.keys(times)) {
    const vsTfjs = tps[name] / tps[name.endsWith('steered') ? 'tfjs steered' : 'tfjs plain adapted'];
    const steeredRatio = name.endsWith('steered')
      ? tps[name] / tps[name.replace('steered', 'plain adapted')]
      : 1;
    rows.push({
      decoding: name,
      'tokens/s': tps[name].toFixed(1),
      'vs tfjs (same mode)': vsTfjs.toFixed(2),
      'steered / plain': name.endsWith('steered') ? steeredRatio.toFixed(2) : '',
    });
  }
  console.log(
    `${label}: ${prompt.length}-token prompt + ${newTokens} new tokens, median of ${rounds} rounds`,
  );
  console.log(`${table(rows)}\n`);
  llama.dispose();
  merged.dispose();
  paired.dispose();
  return tps;
}

function recordRatios(label, tps) {
  const group = `backends on the same weights: ${label}`;
  for (const backend of ['llama.cpp', 'onnx']) {
    for (const mode of ['plain adapted', 'steered']) {
      record({
        group,
        name: `${backend} / tfjs, ${mode}`,
        value: tps[`${backend} ${mode}`],
        unit: 'tokens/s',
        baseline: `tfjs ${mode}`,
        baselineValue: tps[`tfjs ${mode}`],
        ratio: tps[`${backend} ${mode}`] / tps[`tfjs ${mode}`],
      });
    }
  }
  for (const backend of ['llama.cpp', 'onnx', 'tfjs'])
    record({
      group,
      name: `${backend}: steered / plain adapted`,
      value: tps[`${backend} steered`],
      unit: 'tokens/s',
      baseline: `${backend} plain adapted`,
      baselineValue: tps[`${backend} plain adapted`],
      ratio: tps[`${backend} steered`] / tps[`${backend} plain adapted`],
    });
}

try {
  const { model, tokenizer } = await loadTiny();
  const adapted = await loadAdapter(model, TINY_DEMO_ADAPTER_DIR, { tokenizer });
  const prompt = tokenizer.encode('Q: What is the capital of Chile?\nA:');
  const label = 'embedded model (3.43M)';
  recordRatios(
    label,
    await compare(label, {
      tfjsBase: model,
      adapted,
      tokenizerDir: TINY_MODEL_DIR,
      prompt,
      newTokens: 32,
      rounds: 9,
    }),
  );
  adapted.dispose();
  model.dispose();

  const big = await randomLlama({ ...LLAMA_51M, seed: 5 });
  const bigAdapted = new AdaptedModel(
    big,
    createAdapter(big, defaultAdapterConfig('lora', big), { seed: 1 }),
  );
  const tokDir = join(root, 'tokenizer');
  await import('node:fs/promises').then((fs) => fs.mkdir(tokDir, { recursive: true }));
  await syntheticTokenizer(tokDir, 32000);
  const bigPrompt = Array.from({ length: 16 }, (_, i) => 3 + ((i * 7919) % 30000));
  const bigLabel = '51.7M random-init Llama';
  recordRatios(
    bigLabel,
    await compare(bigLabel, {
      tfjsBase: big,
      adapted: bigAdapted,
      tokenizerDir: tokDir,
      prompt: bigPrompt,
      newTokens: 24,
      rounds: 5,
    }),
  );
  bigAdapted.dispose();
  big.dispose();
} finally {
  await rm(root, { recursive: true, force: true });
}
