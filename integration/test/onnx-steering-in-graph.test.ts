// Steering inside the paired ONNX graph (exportOnnx { paired: true, steering: true }): the graph's
// steering step equals @svdecode/kl-gradient's JavaScript kernel (embedded model, and the bare step
// at V = 151,936), decoding through it gives the tokens of the JavaScript kernel for every strategy,
// and a steering graph with inputs of the wrong shape is refused.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadOnnxModel, type PairedOnnxCausalLM } from '@svdecode/backend-onnx';
import type { PairedLogits, PairedSession } from '@svdecode/core';
import { createSteeringBuffers, steeringVector, steerLogits } from '@svdecode/kl-gradient';
import { addSteering, DataType, exportOnnx, GraphBuilder } from '@svdecode/onnx-export';
import { loadLinearAdapter } from '@svdecode/peft';
import { generateAll } from '@svdecode/sampler';
import { TINY_DEMO_ADAPTER_DIR, TINY_MODEL_DIR } from '@svdecode/tiny';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

process.env.SVDECODE_QUIET = '1';
let root: string;
let inGraph: PairedOnnxCausalLM;
let plainPaired: PairedOnnxCausalLM;

beforeAll(async () => {
  root = await tempDir();
  const adapter = await loadLinearAdapter(TINY_DEMO_ADAPTER_DIR);
  await exportOnnx(TINY_MODEL_DIR, join(root, 'in-graph'), { adapter, paired: true, steering: true });
  await exportOnnx(TINY_MODEL_DIR, join(root, 'paired'), { adapter, paired: true });
  inGraph = (await loadOnnxModel(join(root, 'in-graph'))) as PairedOnnxCausalLM;
  plainPaired = (await loadOnnxModel(join(root, 'paired'))) as PairedOnnxCausalLM;
}, 120_000);

/** The JavaScript kernel's steered logits for one step. */
function kernel(step: PairedLogits, mu: number, alpha: number, lambda: number) {
  const s = steeringVector(step.adapted, step.base, {
    alpha,
    out: createSteeringBuffers(step.adapted.length),
    kernel: 'js',
  });
  return { logits: steerLogits(step.adapted, s, mu, { lambda }), kl: s.kl, kept: s.kept };
}

function expectSteeredEqual(got: Float32Array, want: Float32Array) {
  for (let i = 0; i < want.length; i++) {
    if (want[i] === Number.NEGATIVE_INFINITY) expect(got[i]).toBe(Number.NEGATIVE_INFINITY);
    else if (Math.abs(got[i]! - want[i]!) > 1e-5) expect.fail(`steered[${i}] = ${got[i]} vs ${want[i]}`);
  }
}

describe('the steering step inside the paired graph', () => {
  it('equals the JavaScript kernel on the embedded model + demo LoRA (steered logits within 1e-5, KL, kept)', async () => {
    for (const [mu, alpha, lambda] of [
      [-2.2, 0.1, Number.NEGATIVE_INFINITY],
      [3, 0.3, Number.NEGATIVE_INFINITY],
      [1.5, 0.05, -2],
    ] as const) {
      const session = inGraph.createPairedSession();
      expect(session.steerInModel?.({ mu, alpha, lambda })).toBe(true);
      let step = await session.append([1, 50, 60, 70, 80]);
      for (const token of [90, 100, 7, 33, 41]) {
        const want = kernel(step, mu, alpha, lambda);
        expect(step.steered).toBeDefined();
        expectSteeredEqual(step.steered!.logits, want.logits);
        expect(Math.abs(step.steered!.kl - want.kl)).toBeLessThan(1e-5);
        expect(step.steered!.kept).toBe(want.kept);
        step = await session.append([token]);
      }
      session.dispose();
    }
  });

  it('equals the JavaScript kernel on the bare step at V = 151,936', async () => {
    const V = 151_936;
    const g = new GraphBuilder();
    addSteering(g, g.input('logits', DataType.FLOAT, [2, 1, V]), V);
    const session = await ort.InferenceSession.create(g.serialize());
    let seed = 7;
    const random = () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed / 2 ** 32;
    };
    const both = Float32Array.from(
      { length: 2 * V },
      (_, i) => 8 * (random() - 0.5) + (i % 97 === 0 ? 5 : 0),
    );
    const step = { base: both.subarray(0, V), adapted: both.subarray(V) };
    const scalar = (x: number) => new ort.Tensor('float32', Float32Array.of(x), []);
    const out = await session.run({
      logits: new ort.Tensor('float32', both, [2, 1, V]),
      steer_mu: scalar(0.7),
      steer_alpha: scalar(0.1),
      steer_lambda: scalar(Number.NEGATIVE_INFINITY),
    });
    const want = kernel(step, 0.7, 0.1, Number.NEGATIVE_INFINITY);
    expectSteeredEqual(out.steered_logits!.data as Float32Array, want.logits);
    expect(Math.abs((out.steer_kl!.data as Float32Array)[0]! - want.kl)).toBeLessThan(1e-5);
    expect((out.steer_kept!.data as Float32Array)[0]).toBe(want.kept);
    await session.release();
  });

  it('decoding through it gives the JavaScript kernel tokens: greedy, sampling, beam, eager and lazy, several strengths', async () => {
    let used = 0;
    /** The session, counting the steps whose steering the model computed. */
    const counting = (s: PairedSession): PairedSession => {
      const append = s.append.bind(s);
      s.append = async (tokens) => {
        const out = await append(tokens);
        if (out.steered) used++;
        return out;
      };
      return s;
    };
    const prompts = [
      [1, 50, 60, 70],
      [1, 12, 99, 4, 8],
    ];
    for (const prompt of prompts)
      for (const mu of [-2.2, 0.8, 4])
        for (const options of [
          { maxNewTokens: 12 },
          { maxNewTokens: 12, temperature: 0.9, topK: 20, seed: 3 },
          { maxNewTokens: 8, strategy: 'beam' as const, numBeams: 3 },
          { maxNewTokens: 12, lazyBase: false as const },
        ]) {
          const steer = { mu, alpha: 0.1 };
          const a = await generateAll(counting(inGraph.createPairedSession()), prompt, { ...options, steer });
          const b = await generateAll(plainPaired.createPairedSession(), prompt, { ...options, steer });
          expect(a.tokens, `mu ${mu} ${JSON.stringify(options)}`).toEqual(b.tokens);
          const lazyA = await generateAll(inGraph.createLazyPairedSession(), prompt, { ...options, steer });
          const lazyB = await generateAll(plainPaired.createLazyPairedSession(), prompt, {
            ...options,
            steer,
          });
          expect(lazyA.tokens).toEqual(lazyB.tokens);
        }
    expect(used).toBeGreaterThan(50);
  });

  it('refuses a steering graph whose inputs are not float scalars (ONNX_INVALID, with a hint)', async () => {
    const { onnx } = onnxProto;
    const dir = join(root, 'in-graph');
    const file = join(dir, 'onnx', 'model.onnx');
    const model = onnx.ModelProto.decode(await readFile(file));
    const mu = model.graph!.input!.find((i) => i.name === 'steer_mu')!;
    // [1]: onnxruntime accepts the graph (it broadcasts), the loader's check does not
    mu.type!.tensorType!.shape = { dim: [{ dimValue: 1 }] };
    await writeFile(file, onnx.ModelProto.encode(model).finish());
    const error = await loadOnnxModel(dir).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ONNX_INVALID', details: { wrong: ['steer_mu'] } });
    expect((error as { hint: string }).hint).toMatch(/steering: true/);
    // [2]: onnxruntime's own shape inference refuses the graph, reported with the same code
    mu.type!.tensorType!.shape = { dim: [{ dimValue: 2 }] };
    await writeFile(file, onnx.ModelProto.encode(model).finish());
    await expect(loadOnnxModel(dir)).rejects.toMatchObject({ code: 'ONNX_INVALID' });
  });
});
