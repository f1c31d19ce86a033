import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pairSessions } from '@svdecode/core';
import { readSafetensors, SafetensorsFile, toFloat32 } from '@svdecode/hf-io';
import { steeringVector } from '@svdecode/kl-gradient';
import { generateAll } from '@svdecode/sampler';
import { HF_DIR } from '@svdecode/testkit';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ForwardHooks, loadTfjsModel, type TfjsCausalLM } from '../src/index.js';
import { maxAbsDiff } from './helpers.js';

// A LoRA adapter saved by peft, applied through the forward hooks (scaled per row), on the tiny
// Llama saved by transformers: checks the hook mechanism against peft's own logits, then runs the
// sampler on real models.
const ADAPTER = join(HF_DIR, 'adapters', 'lora');
let base: TfjsCausalLM;
let adapted: TfjsCausalLM;
let hooks: ForwardHooks;
const lora = new Map<string, { a: tf.Tensor2D; b: tf.Tensor2D }>();

beforeAll(async () => {
  base = await loadTfjsModel(join(HF_DIR, 'llama-gqa')); // starts the tfjs backend first
  const config = JSON.parse(readFileSync(join(ADAPTER, 'adapter_config.json'), 'utf8'));
  const scaling = config.lora_alpha / config.r;
  const tensors = await readSafetensors(join(ADAPTER, 'adapter_model.safetensors'));
  for (const [name, t] of tensors) {
    if (!name.endsWith('.lora_A.weight')) continue;
    const module = name.slice('base_model.model.'.length, -'.lora_A.weight'.length);
    const b = tensors.get(name.replace('lora_A', 'lora_B'))!;
    lora.set(module, {
      a: tf.tensor2d(toFloat32(t), t.shape as [number, number]),
      b: tf.tensor2d(toFloat32(b), b.shape as [number, number]),
    });
  }
  hooks = {
    linear(module, x, _w, _bias, y, rowScale) {
      const ab = lora.get(module);
      if (!ab) return y;
      let delta = tf.mul(
        tf.matMul(tf.matMul(x, ab.a, false, true), ab.b, false, true),
        scaling,
      ) as tf.Tensor2D;
      if (rowScale) delta = tf.mul(delta, rowScale); // [rows, 1]: 0 for base rows
      return tf.add(y, delta);
    },
  };
  adapted = await loadTfjsModel(join(HF_DIR, 'llama-gqa'), { hooks });
});

afterAll(() => {
  base.dispose();
  adapted.dispose();
  for (const { a, b } of lora.values()) tf.dispose([a, b]);
});

describe('adapter hooks', () => {
  it('a LoRA applied through the linear hook reproduces the logits peft computed', async () => {
    const file = await SafetensorsFile.open(join(ADAPTER, 'expected.safetensors'));
    const ids = Array.from((await file.read('input_ids')).data as BigInt64Array, Number).slice(0, 9);
    const expected = await file.readFloat32('logits_unpadded_row0');
    await file.close();
    expect(maxAbsDiff(await adapted.score(ids), expected)).toBeLessThan(1e-4);
    expect(maxAbsDiff(await base.score(ids), expected)).toBeGreaterThan(1e-2);
  });

  it('one batched forward with row scales [0, 1] gives base and adapted logits at once', async () => {
    const tokens = [1, 5, 9, 33, 70];
    const [asBase, asAdapted] = await base.scoreBatch([tokens, tokens], { hooks, rowScale: [0, 1] });
    expect(maxAbsDiff(asBase!, await base.score(tokens))).toBeLessThan(1e-5);
    expect(maxAbsDiff(asAdapted!, await adapted.score(tokens))).toBeLessThan(1e-5);
  });
});

describe('the sampler on real tfjs models', () => {
  it('steered decoding keeps to the mask, mu = 0 equals plain decoding, and sessions are freed', async () => {
    const prompt = [1, 17, 42, 5];
    const plain = await generateAll(adapted.createSession(), prompt, { maxNewTokens: 10 });
    const zero = await generateAll(pairSessions(base.createSession(), adapted.createSession()), prompt, {
      maxNewTokens: 10,
      steer: { mu: 0 },
    });
    expect(zero.tokens).toEqual(plain.tokens);
    const steered = await generateAll(pairSessions(base.createSession(), adapted.createSession()), prompt, {
      maxNewTokens: 10,
      steer: { mu: -30 },
    });
    const ctx = [...prompt];
    for (const t of steered.tokens) {
      const a = (await adapted.score(ctx)).slice(-96);
      const b = (await base.score(ctx)).slice(-96);
      expect(steeringVector(a, b).mask[t]).toBe(1);
      ctx.push(t);
    }
    const beam = await generateAll(pairSessions(base.createSession(), adapted.createSession()), prompt, {
      strategy: 'beam',
      numBeams: 3,
      maxNewTokens: 6,
      steer: { mu: -30 },
    });
    expect(beam.tokens).toHaveLength(6);
    expect(base.liveSessions + adapted.liveSessions).toBe(0);
  });
});
