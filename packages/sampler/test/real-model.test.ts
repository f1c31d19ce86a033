import { join } from 'node:path';
import { pairSessions } from '@svdecode/core';
import { SafetensorsFile } from '@svdecode/hf-io';
import { steeringVector } from '@svdecode/kl-gradient';
import { HF_DIR, loadReferenceWeights, mergeLora, ReferenceLM } from '@svdecode/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateAll } from '../src/index.js';

// A real (tiny, random-init) Llama saved by Hugging Face transformers, and a LoRA adapter saved by
// peft, run through the independent reference forward of @svdecode/testkit.
let base: ReferenceLM;
let adapted: ReferenceLM;

async function expectedLogits(dir: string): Promise<{ ids: number[]; logits: Float32Array }> {
  const file = await SafetensorsFile.open(join(dir, 'expected.safetensors'));
  const ids = Array.from((await file.read('input_ids')).data as BigInt64Array, Number).slice(0, 9);
  const logits = await file.readFloat32('logits_unpadded_row0');
  await file.close();
  return { ids, logits };
}

beforeAll(async () => {
  const weights = await loadReferenceWeights(join(HF_DIR, 'llama-gqa'));
  base = new ReferenceLM(weights, 'llama-gqa');
  adapted = new ReferenceLM(await mergeLora(weights, join(HF_DIR, 'adapters', 'lora')), 'llama-gqa+lora');
});

describe('the sampler on a real tiny Llama with a PEFT LoRA adapter', () => {
  it('the models reproduce the logits transformers and peft computed', async () => {
    for (const [model, dir] of [
      [base, join(HF_DIR, 'llama-gqa')],
      [adapted, join(HF_DIR, 'adapters', 'lora')],
    ] as const) {
      const { ids, logits } = await expectedLogits(dir);
      const ours = await model.score(ids);
      let max = 0;
      for (let i = 0; i < ours.length; i++) max = Math.max(max, Math.abs(ours[i]! - logits[i]!));
      expect(max).toBeLessThan(1e-4);
    }
  });

  it('steered greedy decoding keeps to the mask, differs from plain decoding, and mu = 0 matches it', async () => {
    const prompt = [1, 17, 42, 5];
    const plain = await generateAll(adapted.createSession(), prompt, { maxNewTokens: 8 });
    const zero = await generateAll(pairSessions(base.createSession(), adapted.createSession()), prompt, {
      maxNewTokens: 8,
      steer: { mu: 0 },
    });
    expect(zero.tokens).toEqual(plain.tokens);
    let differs = false;
    for (const mu of [-40, 40]) {
      const steered = await generateAll(pairSessions(base.createSession(), adapted.createSession()), prompt, {
        maxNewTokens: 8,
        steer: { mu, alpha: 0.1 },
      });
      const ctx = [...prompt];
      for (const t of steered.tokens) {
        const a = (await adapted.score(ctx)).slice(-adapted.vocabSize);
        const b = (await base.score(ctx)).slice(-base.vocabSize);
        expect(steeringVector(a, b).mask[t]).toBe(1);
        ctx.push(t);
      }
      if (steered.tokens.join() !== plain.tokens.join()) differs = true;
    }
    expect(differs).toBe(true);
    expect(base.liveSessions + adapted.liveSessions).toBe(0);
  });

  it('beam search and seeded sampling run on it and dispose their sessions', async () => {
    const prompt = [1, 30, 31];
    const session = () => pairSessions(base.createSession(), adapted.createSession());
    const beam = await generateAll(session(), prompt, {
      strategy: 'beam',
      numBeams: 3,
      maxNewTokens: 5,
      steer: { mu: -5 },
    });
    expect(beam.tokens).toHaveLength(5);
    const s1 = await generateAll(session(), prompt, {
      strategy: 'sample',
      seed: 3,
      topP: 0.9,
      maxNewTokens: 5,
      steer: { mu: -5 },
    });
    const s2 = await generateAll(session(), prompt, {
      strategy: 'sample',
      seed: 3,
      topP: 0.9,
      maxNewTokens: 5,
      steer: { mu: -5 },
    });
    expect(s1.tokens).toEqual(s2.tokens);
    expect(base.liveSessions + adapted.liveSessions).toBe(0);
  });
});
