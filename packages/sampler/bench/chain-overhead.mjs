// Per-token overhead of the full sampler chain (steer + top-k + top-p + seeded draw) at
// V = 151,936 against plain argmax over the same logits, measured in one run; plus the chain
// without steering, and a GC count over steady-state steps (zero allocations expected).
import { allocationCheck, compare, fmt, machine, record, table } from '@svdecode/bench';
import { draw, greedy, SamplerChain, steer, topK, topP } from '../dist/index.js';

const V = 151_936;
function randomLogits(n, seed) {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = 6 * (s / 2 ** 32 - 0.5) + (i % 97 === 0 ? 4 : 0);
  }
  return out;
}
const adapted = randomLogits(V, 1);
const base = randomLogits(V, 2);
const ctx = { adapted, base, history: [1, 2, 3], step: 0 };
const argmax = greedy();
const full = new SamplerChain([steer({ mu: 0.5 }), topK(50), topP(0.9)], draw(7));
const unsteered = new SamplerChain([topK(50), topP(0.9)], draw(7));
const topPOnly = new SamplerChain([topP(0.9)], draw(7));

console.log(`sampler chain overhead — V = ${V}, ${machine()}\n`);
const stats = compare(
  {
    argmax: () => argmax.select(adapted),
    chain: () => full.sample(ctx),
    noSteer: () => unsteered.sample(ctx),
    topPOnly: () => topPOnly.sample(ctx),
  },
  { runs: 41, inner: 5 },
);
const gc = await allocationCheck(() => full.sample(ctx), 1000);
for (const [name, key] of [
  ['sampler chain: steer + top-k + top-p + draw', 'chain'],
  ['sampler chain: top-k + top-p + draw (no steering)', 'noSteer'],
]) {
  record({
    group: 'sampler chain',
    name: `${name}, V = ${V}`,
    value: stats[key].median,
    unit: 'ms',
    p10: stats[key].p10,
    p90: stats[key].p90,
    runs: stats[key].runs,
    baseline: 'argmax',
    baselineValue: stats.argmax.median,
    ratio: stats[key].median / stats.argmax.median,
  });
}
console.log(
  table([
    { candidate: 'argmax (baseline)', median: fmt(stats.argmax.median), 'ratio to argmax': '1.00' },
    ...[
      ['steer + top-k 50 + top-p 0.9 + draw', stats.chain],
      ['top-k 50 + top-p 0.9 + draw (no steering)', stats.noSteer],
      ['top-p 0.9 + draw (no top-k: partial selection over V)', stats.topPOnly],
    ].map(([name, s]) => ({
      candidate: name,
      median: `${fmt(s.median)} (p10 ${fmt(s.p10)}, p90 ${fmt(s.p90)})`,
      'ratio to argmax': (s.median / stats.argmax.median).toFixed(1),
    })),
  ]),
);
console.log(
  `\nsteady state of the full chain: ${gc.bytesPerStep.toFixed(0)} heap bytes per token (${gc.gcs} GCs in ${gc.steps} steps; a logits copy would be ${4 * V})`,
);
