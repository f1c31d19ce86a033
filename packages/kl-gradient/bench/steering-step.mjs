// Steering step benchmark: steeringVector + steerLogits (reusing buffers), with the WebAssembly SIMD
// kernel (the default) and the JavaScript kernel, against one JavaScript log-sum-exp pass over one
// logits vector, a naive three-exp implementation, and a straightforward tfjs (wasm backend)
// implementation of the same formula, all measured in one run.
// Run: pnpm --filter @svdecode/kl-gradient bench   (builds first through turbo: pnpm bench)
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { allocationCheck, compare, fmt, machine, record, table } from '@svdecode/bench';
import { activeSteeringKernel, createSteeringBuffers, steeringVector, steerLogits } from '../dist/index.js';

const VOCABS = [32_000, 128_256, 151_936];
const ALPHA = 0.1;
const MU = 0.5;

function randomLogits(n, seed) {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 2 ** 32;
    out[i] = 6 * (u - 0.5) + (i % 97 === 0 ? 4 : 0);
  }
  return out;
}

function logSumExp(z) {
  let m = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < z.length; i++) if (z[i] > m) m = z[i];
  let s = 0;
  for (let i = 0; i < z.length; i++) s += Math.exp(z[i] - m);
  return m + Math.log(s);
}

/** The obvious version: both softmaxes, then p again, three exponentials per token. */
function naiveStep(a, b, outDelta, outZ) {
  const n = a.length;
  const la = logSumExp(a);
  const lb = logSumExp(b);
  let kl = 0;
  for (let i = 0; i < n; i++) {
    const p = Math.exp(a[i] - la);
    kl += p * (a[i] - la - (b[i] - lb));
  }
  let pmax = 0;
  for (let i = 0; i < n; i++) {
    const p = Math.exp(a[i] - la);
    outDelta[i] = p * (kl - (a[i] - la - (b[i] - lb)));
    if (p > pmax) pmax = p;
  }
  for (let i = 0; i < n; i++) {
    outZ[i] = Math.exp(a[i] - la) >= ALPHA * pmax ? a[i] + MU * outDelta[i] : Number.NEGATIVE_INFINITY;
  }
}

function tfjsStep(a, b) {
  const out = tf.tidy(() => {
    const za = tf.tensor1d(a);
    const zb = tf.tensor1d(b);
    const la = tf.logSoftmax(za);
    const r = tf.sub(la, tf.logSoftmax(zb));
    const p = tf.exp(la);
    const kl = tf.sum(tf.mul(p, r));
    const delta = tf.mul(p, tf.sub(kl, r));
    const mask = tf.greaterEqual(p, tf.mul(tf.max(p), ALPHA));
    return tf.where(mask, tf.add(za, tf.mul(delta, MU)), tf.fill([a.length], Number.NEGATIVE_INFINITY));
  });
  const values = out.dataSync();
  out.dispose();
  return values;
}

await tf.setBackend('wasm');
await tf.ready();

console.log(
  `steering step benchmark — ${machine()}, kernel: ${activeSteeringKernel()}, tfjs backend: ${tf.getBackend()}\n`,
);
const rows = [];
for (const v of VOCABS) {
  const a = randomLogits(v, 1);
  const b = randomLogits(v, 2);
  const buffers = createSteeringBuffers(v);
  const steered = new Float32Array(v);
  const naiveDelta = new Float32Array(v);
  const naiveZ = new Float32Array(v);
  const vectorOptions = { alpha: ALPHA, out: buffers };
  const jsOptions = { alpha: ALPHA, out: buffers, kernel: 'js' };
  const steerOptions = { out: steered };
  const ours = () => {
    const s = steeringVector(a, b, vectorOptions);
    steerLogits(a, s, MU, steerOptions);
  };
  const stats = compare(
    {
      lse: () => logSumExp(a),
      ours,
      js: () => steerLogits(a, steeringVector(a, b, jsOptions), MU, steerOptions),
      naive: () => naiveStep(a, b, naiveDelta, naiveZ),
      tfjs: () => tfjsStep(a, b),
    },
    { runs: 41, inner: 5 },
  );
  const alloc = await allocationCheck(ours, 1000);
  record({
    group: 'steering step',
    name: `steering step, V = ${v}`,
    value: stats.ours.median,
    unit: 'ms',
    p10: stats.ours.p10,
    p90: stats.ours.p90,
    runs: stats.ours.runs,
    baseline: 'one JavaScript log-sum-exp pass',
    baselineValue: stats.lse.median,
    ratio: stats.ours.median / stats.lse.median,
    target: '<= 1.5',
  });
  record({
    group: 'steering step',
    name: `steering step, JavaScript kernel, V = ${v}`,
    value: stats.js.median,
    unit: 'ms',
    baseline: 'one JavaScript log-sum-exp pass',
    baselineValue: stats.lse.median,
    ratio: stats.js.median / stats.lse.median,
    target: '<= 3',
  });
  record({
    group: 'steering step',
    name: `tfjs-wasm steering step / ours, V = ${v}`,
    value: stats.tfjs.median,
    unit: 'ms',
    baseline: 'ours',
    baselineValue: stats.ours.median,
    ratio: stats.tfjs.median / stats.ours.median,
  });
  rows.push({
    V: v,
    'log-sum-exp': fmt(stats.lse.median),
    'steering step': `${fmt(stats.ours.median)} (p10 ${fmt(stats.ours.p10)}, p90 ${fmt(stats.ours.p90)})`,
    'step / lse': (stats.ours.median / stats.lse.median).toFixed(2),
    'JS kernel / lse': (stats.js.median / stats.lse.median).toFixed(2),
    'naive 3-exp / lse': (stats.naive.median / stats.lse.median).toFixed(2),
    'tfjs-wasm / step': (stats.tfjs.median / stats.ours.median).toFixed(2),
    'GCs / heap growth per step': `${alloc.gcs} / ${alloc.bytesPerStep.toFixed(0)} B`,
  });
}
console.log(table(rows));
