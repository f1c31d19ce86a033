// What the steering step costs inside a paired ONNX graph at V = 32,000 and V = 151,936 (#29): the
// onnxruntime run of one decoding step of a paired export with the step in the graph, fetching the
// steered logits, against the same run without them (onnxruntime then skips those nodes), and the
// WebAssembly kernel outside the graph on the same logits. A small random Llama (d 64, 2 layers)
// keeps the rest of the step small. One run, the two runs of each step back to back in alternating
// order; the step's cost is the median of the 401 per-step differences.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOnnxModel } from '@svdecode/backend-onnx';
import { checkpointWeights, randomLlama } from '@svdecode/backend-tfjs';
import { fmt, machine, record, table } from '@svdecode/bench';
import { createSteeringBuffers, steeringVector, steerLogits } from '@svdecode/kl-gradient';
import { exportOnnx } from '@svdecode/onnx-export';
import { AdaptedModel, createAdapter, defaultAdapterConfig } from '@svdecode/peft-tfjs';

process.env.SVDECODE_QUIET = '1';
const STEPS = 401;
const root = await mkdtemp(join(tmpdir(), 'svdecode-steering-in-graph-'));
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const steering = { mu: 0.5, alpha: 0.1, lambda: Number.NEGATIVE_INFINITY };

console.log(`the steering step inside a paired ONNX graph — ${machine()}\n`);
const rows = [];
try {
  for (const vocabSize of [32_000, 151_936]) {
    const model = await randomLlama({
      vocabSize,
      hiddenSize: 64,
      numLayers: 2,
      numHeads: 4,
      numKvHeads: 2,
      intermediateSize: 128,
      seed: 3,
    });
    const adapted = new AdaptedModel(
      model,
      createAdapter(model, defaultAdapterConfig('lora', model), { seed: 1 }),
    );
    const dir = join(root, `v${vocabSize}`);
    await exportOnnx(checkpointWeights(model), dir, {
      adapter: adapted.adapter,
      paired: true,
      steering: true,
    });
    adapted.dispose();
    model.dispose();
    const onnx = await loadOnnxModel(dir);
    const runner = onnx.runner;
    const prompt = [3, 17, 42, 5];
    const first = await runner.run(['base', 'adapted'], undefined, 0, prompt);
    const cache = first.state;
    const buffers = createSteeringBuffers(vocabSize);
    const out = new Float32Array(vocabSize);
    const times = { plain: [], inGraph: [], kernel: [] };
    let plain;
    const runPlain = async () => {
      const t0 = performance.now();
      plain = await runner.run(['base', 'adapted'], cache, prompt.length, [7]);
      times.plain.push(performance.now() - t0);
    };
    const runInGraph = async () => {
      const t0 = performance.now();
      await runner.run(['base', 'adapted'], cache, prompt.length, [7], steering);
      times.inGraph.push(performance.now() - t0);
    };
    for (let step = 0; step < STEPS; step++) {
      // the same step (same cache, same token) each way, in alternating order
      if (step % 2 === 0) {
        await runPlain();
        await runInGraph();
      } else {
        await runInGraph();
        await runPlain();
      }
      const base = plain.logits(0);
      const adaptedLogits = plain.logits(1);
      const t0 = performance.now();
      steerLogits(adaptedLogits, steeringVector(adaptedLogits, base, { alpha: 0.1, out: buffers }), 0.5, {
        out,
      });
      times.kernel.push(performance.now() - t0);
    }
    onnx.dispose();
    const [withoutStep, inGraph, kernel] = [median(times.plain), median(times.inGraph), median(times.kernel)];
    // the step's cost: the median of the per-step differences (each pair ran back to back)
    const step = median(times.inGraph.map((t, i) => t - times.plain[i]));
    record({
      group: 'steering step',
      name: `steering step inside the paired ONNX graph, V = ${vocabSize}`,
      value: step,
      unit: 'ms',
      baseline: 'the WebAssembly kernel outside the graph',
      baselineValue: kernel,
      ratio: step / kernel,
    });
    rows.push({
      V: vocabSize,
      'ORT run without the step': fmt(withoutStep),
      'ORT run with the step': fmt(inGraph),
      'the step in the graph (median difference)': fmt(step),
      'the step in wasm, outside': fmt(kernel),
    });
  }
  console.log(table(rows));
} finally {
  await rm(root, { recursive: true, force: true });
}
