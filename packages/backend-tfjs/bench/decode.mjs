// Decode speed of a ~54M-parameter random-init Llama (d = 512, 8 layers, 8 heads / 4 KV heads,
// intermediate 1024, V = 32,000, untied) on the active tfjs backend: tokens/s with and without the
// KV cache, and per-token time at position 512 against position 16, all in one run.
import { fmt, LLAMA_51M, machine, record, table } from '@svdecode/bench';
import * as tf from '@tensorflow/tfjs-core';
import { activeTfjsBackend, parameterCount, randomLlama } from '../dist/index.js';

const model = await randomLlama(LLAMA_51M);
const backend = { name: activeTfjsBackend() };
const params = parameterCount(model);
const config = model.config;
const tokens = (n, seed = 1) =>
  Array.from({ length: n }, (_, i) => (i * 7919 + seed * 104729) % config.vocabSize);

console.log(
  `tfjs decode benchmark — ${(params / 1e6).toFixed(1)}M parameters, tfjs ${tf.version_core} on ${backend.name}, ${machine()}\n`,
);

// sessions at position 16 and 512 (prefilled once, then forked per measurement so positions stay put)
const at16 = model.createSession();
await at16.append(tokens(16));
const at512 = model.createSession();
await at512.append(tokens(512));
const stepFrom = (session) => async () => {
  const s = session.fork();
  await s.append([5]);
  s.dispose();
};
const noCache = async (n) => {
  await model.score(tokens(n)); // full re-computation of an n-token context for one next-token distribution
};

async function timeAsync(fn, runs) {
  for (let i = 0; i < 2; i++) await fn();
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return {
    median: samples[samples.length >> 1],
    p10: samples[Math.floor(0.1 * (runs - 1))],
    p90: samples[Math.floor(0.9 * (runs - 1))],
  };
}

// interleave the candidates round by round
const names = {
  cached16: stepFrom(at16),
  cached512: stepFrom(at512),
  full16: () => noCache(17),
  full64: () => noCache(65),
};
const results = Object.fromEntries(Object.keys(names).map((n) => [n, []]));
for (let round = 0; round < 5; round++) {
  for (const [n, fn] of Object.entries(names)) results[n].push(await timeAsync(fn, 3));
}
const med = (n) => {
  const all = results[n].map((x) => x.median).sort((a, b) => a - b);
  return { median: all[all.length >> 1], p10: all[0], p90: all[all.length - 1] };
};
const rows = [
  ['KV cache, position 16', med('cached16')],
  ['KV cache, position 512', med('cached512')],
  ['no cache, 17-token context', med('full16')],
  ['no cache, 65-token context', med('full64')],
].map(([name, s]) => ({
  decode: name,
  'ms / token (min–max)': `${fmt(s.median)} (${fmt(s.p10)}–${fmt(s.p90)})`,
  'tokens/s': (1000 / s.median).toFixed(1),
}));
console.log(table(rows));
for (const [name, key, baseline] of [
  ['tfjs KV-cached decode, position 16', 'cached16'],
  ['tfjs KV-cached decode, position 512', 'cached512', 'cached16'],
  ['tfjs without cache, 65-token context', 'full64', 'cached16'],
]) {
  const s = med(key);
  record({
    group: 'decode, 54M random Llama (tfjs)',
    name,
    value: 1000 / s.median,
    unit: 'tokens/s',
    p10: 1000 / s.p90,
    p90: 1000 / s.p10,
    runs: 5,
    ...(baseline
      ? {
          baseline: 'position 16',
          baselineValue: 1000 / med(baseline).median,
          ratio: med(baseline).median / s.median,
        }
      : {}),
    ...(key === 'cached512' ? { target: '>= 0.67 (time per token <= 1.5x)' } : {}),
  });
}
console.log(
  `\nposition 512 / position 16: ${(med('cached512').median / med('cached16').median).toFixed(2)}x (target <= 1.5x)`,
);
console.log(
  `no cache (65-token context) / KV cache (position 16): ${(med('full64').median / med('cached16').median).toFixed(1)}x`,
);
at16.dispose();
at512.dispose();
model.dispose();
