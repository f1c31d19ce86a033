// Where one decoding step's time goes on the ONNX backend (#29 item 1): for a plain and a paired
// step on the embedded model and the 51.7M random Llama, the median time of: building the feeds
// (JavaScript), onnxruntime's run, converting the logits, the steering math (steeringVector +
// steerLogits, JavaScript) and greedy selection. One run, 7 rounds of 48 steps each, interleaved.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOnnxModel } from '@svdecode/backend-onnx';
import { checkpointWeights, randomLlama } from '@svdecode/backend-tfjs';
import { LLAMA_51M, machine, record, table } from '@svdecode/bench';
import { createSteeringBuffers, steeringVector, steerLogits } from '@svdecode/kl-gradient';
import { exportOnnx } from '@svdecode/onnx-export';
import { AdaptedModel, createAdapter, defaultAdapterConfig, loadAdapter } from '@svdecode/peft-tfjs';
import { loadTiny, TINY_DEMO_ADAPTER_DIR } from '@svdecode/tiny';
import * as ort from 'onnxruntime-node';

process.env.SVDECODE_QUIET = '1';
const STEPS = 48;
const ROUNDS = 7;
const root = await mkdtemp(join(tmpdir(), 'svdecode-step-profile-'));
const LABEL = {
  plain: 'plain adapted (merged)',
  paired: 'steered (paired)',
  inGraph: 'steered (paired, steering in the graph)',
};
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const argmax = (x) => {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
};

/**
 * One decoding run of `rows` rows (1 plain, 2 paired), timing each part of every step; `inGraph`:
 * a paired export with the steering step inside (its outputs fetched, no JavaScript steering).
 */
async function profileRun(model, rows, prompt, inGraph = false) {
  const runner = model.runner;
  const times = { feeds: [], run: [], logits: [], steer: [], select: [] };
  const buffers = createSteeringBuffers(runner.vocabSize);
  const steered = new Float32Array(runner.vocabSize);
  const vector = { alpha: 0.1, out: buffers };
  const steerOptions = { lambda: Number.NEGATIVE_INFINITY, out: steered };
  const session = runner.session;
  // the feeds OrtRunner.forward builds, timed apart from the run by calling the same code path once
  // with a stubbed session.run
  let cache;
  let past = 0;
  let tokens = prompt;
  for (let step = 0; step < STEPS; step++) {
    const realRun = session.run.bind(session);
    let feeds;
    let t0 = performance.now();
    session.run = async (f) => {
      feeds = f;
      throw new Error('stub');
    };
    await runner
      .forward(tokens, rows, past, cache, rows === 2 ? [0, 1] : undefined, {
        steering: inGraph ? { mu: 0.5, alpha: 0.1, lambda: Number.NEGATIVE_INFINITY } : undefined,
      })
      .catch(() => {});
    session.run = realRun;
    const tFeeds = performance.now() - t0;
    t0 = performance.now();
    const out = await session.run(feeds);
    const tRun = performance.now() - t0;
    t0 = performance.now();
    const raw = out.logits;
    const logits = raw.type === 'float16' ? null : raw.data;
    const V = runner.vocabSize;
    const seq = raw.dims[1];
    const last = (r) => logits.subarray((r * seq + seq - 1) * V, (r * seq + seq) * V);
    const adaptedRow = last(rows - 1).slice();
    const tLogits = performance.now() - t0;
    let tSteer = 0;
    if (inGraph) steered.set(out.steered_logits.data);
    else if (rows === 2) {
      t0 = performance.now();
      const s = steeringVector(adaptedRow, last(0), vector);
      steerLogits(adaptedRow, s, 0.5, steerOptions);
      tSteer = performance.now() - t0;
    }
    t0 = performance.now();
    const next = argmax(rows === 2 ? steered : adaptedRow);
    const tSelect = performance.now() - t0;
    const present = [];
    for (let l = 0; l < runner.shape.layers; l++)
      present.push(out[`present.${l}.key`], out[`present.${l}.value`]);
    cache = present;
    past += tokens.length;
    tokens = [next];
    if (step === 0) continue; // the prefill is not a decoding step
    times.feeds.push(tFeeds);
    times.run.push(tRun);
    times.logits.push(tLogits);
    times.steer.push(tSteer);
    times.select.push(tSelect);
  }
  return times;
}

/**
 * onnxruntime's own per-node profile of `steps` decoding steps of the graph in `dir` (run the way
 * `model`'s runner runs it): milliseconds per step by operator type, the prefill left out.
 */
async function operatorProfile(model, dir, rows, prompt, steps = 24) {
  const session = await ort.InferenceSession.create(join(dir, 'onnx', 'model.onnx'), {
    enableProfiling: true,
    profileFilePrefix: join(root, `ort-${rows}`),
  });
  const runner = new model.runner.constructor(session, model.runner.shape, model.runner.cacheType);
  // session.run's wall time as JavaScript sees it (the binding's input and output conversion included)
  const walls = [];
  const realRun = session.run.bind(session);
  session.run = async (...args) => {
    const t0 = performance.now();
    const out = await realRun(...args);
    walls.push(performance.now() - t0);
    return out;
  };
  const scale = rows === 2 ? [0, 1] : undefined;
  let { logits, present } = await runner.forward(prompt, rows, 0, undefined, scale);
  for (let step = 0; step < steps; step++) {
    const V = runner.vocabSize;
    const next = argmax(logits.subarray(logits.length - V)); // greedy on the last row
    ({ logits, present } = await runner.forward([next], rows, prompt.length + step, present, scale));
  }
  session.endProfiling(); // writes <prefix>_<date>.json (onnxruntime-node returns no name)
  const file = (await readdir(root)).find((f) => f.startsWith(`ort-${rows}`) && f.endsWith('.json'));
  const events = JSON.parse(await readFile(join(root, file), 'utf8'));
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run');
  const prefillEnd = runs[0].ts + runs[0].dur;
  const byOp = {};
  let kernels = 0;
  for (const e of events) {
    if (e.cat !== 'Node' || e.ts < prefillEnd || !e.name.endsWith('_kernel_time')) continue;
    const op = e.args?.op_name ?? 'other';
    byOp[op] = (byOp[op] ?? 0) + e.dur / 1000 / steps;
    kernels += e.dur / 1000 / steps;
  }
  await session.release();
  // per decoding step: the binding (wall - model_run), onnxruntime outside its kernels (model_run -
  // kernels), the kernels; and the bytes of the present KV outputs copied out to JavaScript
  const wall = walls.slice(1).reduce((a, b) => a + b, 0) / steps;
  const inside = runs.slice(1).reduce((a, e) => a + e.dur / 1000, 0) / steps;
  const presentBytes = present.reduce((a, t) => a + t.data.byteLength, 0);
  return { byOp, split: { binding: wall - inside, executor: inside - kernels, kernels, wall }, presentBytes };
}

try {
  const { model: tiny, tokenizer } = await loadTiny({ quiet: true });
  const demo = await loadAdapter(tiny, TINY_DEMO_ADAPTER_DIR, { tokenizer });
  await exportOnnx(checkpointWeights(tiny), join(root, 'tiny-merged'), { adapter: demo.adapter });
  await exportOnnx(checkpointWeights(tiny), join(root, 'tiny-paired'), {
    adapter: demo.adapter,
    paired: true,
    steering: false,
  });
  await exportOnnx(checkpointWeights(tiny), join(root, 'tiny-in-graph'), {
    adapter: demo.adapter,
    paired: true,
    steering: true,
  });
  const big = await randomLlama({ ...LLAMA_51M, seed: 5 });
  const adapter = createAdapter(big, defaultAdapterConfig('lora', big), { seed: 1 });
  const bigAdapted = new AdaptedModel(big, adapter);
  await exportOnnx(checkpointWeights(big), join(root, 'big-merged'), { adapter: bigAdapted.adapter });
  await exportOnnx(checkpointWeights(big), join(root, 'big-paired'), {
    adapter: bigAdapted.adapter,
    paired: true,
    steering: false,
  });
  await exportOnnx(checkpointWeights(big), join(root, 'big-in-graph'), {
    adapter: bigAdapted.adapter,
    paired: true,
    steering: true,
  });
  const models = {
    'embedded (3.43M)': {
      plain: await loadOnnxModel(join(root, 'tiny-merged')),
      paired: await loadOnnxModel(join(root, 'tiny-paired')),
      inGraph: await loadOnnxModel(join(root, 'tiny-in-graph')),
      prompt: tokenizer.encode('Q: What is the capital of Chile?\nA:'),
    },
    'random Llama (51.7M)': {
      plain: await loadOnnxModel(join(root, 'big-merged')),
      paired: await loadOnnxModel(join(root, 'big-paired')),
      inGraph: await loadOnnxModel(join(root, 'big-in-graph')),
      prompt: Array.from({ length: 16 }, (_, i) => 3 + ((i * 7919) % 30000)),
    },
  };
  console.log(`ONNX step profile — ${machine()} — onnxruntime-node ${ort.env.versions.node ?? ''}\n`);
  const rowsOut = [];
  for (const [name, m] of Object.entries(models)) {
    const acc = { plain: {}, paired: {}, inGraph: {} };
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of ['plain', 'paired', 'inGraph']) {
        const t = await profileRun(m[kind], kind === 'plain' ? 1 : 2, m.prompt, kind === 'inGraph');
        for (const [part, xs] of Object.entries(t)) {
          acc[kind][part] ??= [];
          acc[kind][part].push(median(xs));
        }
      }
    }
    for (const kind of ['plain', 'paired', 'inGraph']) {
      const parts = Object.fromEntries(Object.entries(acc[kind]).map(([k, xs]) => [k, median(xs)]));
      const total = Object.values(parts).reduce((a, b) => a + b, 0);
      rowsOut.push({
        'step (median ms, 7 rounds x 47 steps)': `${name}, ${LABEL[kind]}`,
        'feeds (JS)': parts.feeds.toFixed(3),
        'ORT run': parts.run.toFixed(3),
        'logits (JS)': parts.logits.toFixed(3),
        'steering (JS)': parts.steer.toFixed(3),
        argmax: parts.select.toFixed(3),
        total: total.toFixed(3),
      });
      for (const [part, ms] of Object.entries(parts))
        record({ group: 'ONNX step profile', name: `${name}, ${kind}: ${part}`, value: ms, unit: 'ms' });
    }
  }
  console.log(table(rowsOut));

  // onnxruntime's per-node profile of the 51.7M model: where the paired run's extra time goes
  const big51 = models['random Llama (51.7M)'];
  const plainProfile = await operatorProfile(big51.plain, join(root, 'big-merged'), 1, big51.prompt);
  const pairedProfile = await operatorProfile(big51.paired, join(root, 'big-paired'), 2, big51.prompt);
  const plainOps = plainProfile.byOp;
  const pairedOps = pairedProfile.byOp;
  const ops = [...new Set([...Object.keys(plainOps), ...Object.keys(pairedOps)])]
    .map((op) => ({ op, plain: plainOps[op] ?? 0, paired: pairedOps[op] ?? 0 }))
    .sort((a, b) => b.paired - a.paired);
  const sum = (o) => Object.values(o).reduce((a, b) => a + b, 0);
  console.log('\nonnxruntime per-node profile, 51.7M model, ms per decoding step by operator (24 steps):\n');
  console.log(
    table([
      ...ops.slice(0, 8).map((o) => ({
        operator: o.op,
        'plain (merged)': o.plain.toFixed(3),
        'paired (2 rows)': o.paired.toFixed(3),
        'paired - plain': (o.paired - o.plain).toFixed(3),
      })),
      {
        operator: 'all kernels',
        'plain (merged)': sum(plainOps).toFixed(3),
        'paired (2 rows)': sum(pairedOps).toFixed(3),
        'paired - plain': (sum(pairedOps) - sum(plainOps)).toFixed(3),
      },
    ]),
  );
  // where the paired run's extra time goes, kernels or not (the same 24 steps)
  const copyBuffer = Buffer.alloc(pairedProfile.presentBytes);
  const copyTarget = Buffer.alloc(pairedProfile.presentBytes);
  const copyTimes = [];
  for (let i = 0; i < 51; i++) {
    const t0 = performance.now();
    copyBuffer.copy(copyTarget);
    copyTimes.push(performance.now() - t0);
  }
  const memcpyMsPerByte = median(copyTimes) / pairedProfile.presentBytes;
  console.log(
    '\none onnxruntime run of the 51.7M model, ms per decoding step, inside and outside the kernels:\n',
  );
  console.log(
    table(
      ['kernels', 'executor', 'binding', 'wall'].map((part) => ({
        part: {
          kernels: 'kernels (sum of node times)',
          executor: 'onnxruntime outside kernels (model_run - kernels)',
          binding: 'node binding (session.run wall - model_run)',
          wall: 'session.run, wall',
        }[part],
        'plain (merged)': plainProfile.split[part].toFixed(3),
        'paired (2 rows)': pairedProfile.split[part].toFixed(3),
        'paired - plain': (pairedProfile.split[part] - plainProfile.split[part]).toFixed(3),
      })),
    ),
  );
  console.log(
    `present KV outputs at the last step: ${(plainProfile.presentBytes / 2 ** 20).toFixed(2)} MiB plain, ${(pairedProfile.presentBytes / 2 ** 20).toFixed(2)} MiB paired; one memcpy of them here: ${(memcpyMsPerByte * plainProfile.presentBytes).toFixed(3)} / ${(memcpyMsPerByte * pairedProfile.presentBytes).toFixed(3)} ms`,
  );
  for (const part of ['kernels', 'executor', 'binding', 'wall']) {
    record({
      group: 'ONNX run split (51.7M)',
      name: `${part}: plain`,
      value: plainProfile.split[part],
      unit: 'ms',
    });
    record({
      group: 'ONNX run split (51.7M)',
      name: `${part}: paired`,
      value: pairedProfile.split[part],
      unit: 'ms',
    });
  }
  for (const o of ops) {
    record({ group: 'ONNX operator profile (51.7M)', name: `${o.op}: plain`, value: o.plain, unit: 'ms' });
    record({ group: 'ONNX operator profile (51.7M)', name: `${o.op}: paired`, value: o.paired, unit: 'ms' });
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
