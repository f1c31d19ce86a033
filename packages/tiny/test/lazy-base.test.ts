// Lazy base decoding on the embedded model, tfjs and ONNX: token-identical to eager decoding over 50
// prompts x 64 new tokens for greedy, seeded sampling and beam search, and the base model's
// catch-up logits equal to its step-by-step logits.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOnnxModel, type PairedOnnxCausalLM } from '@svdecode/backend-onnx';
import { checkpointWeights } from '@svdecode/backend-tfjs';
import type { PairedCausalLM } from '@svdecode/core';
import { loadPromptCompletionJsonl } from '@svdecode/eval';
import { exportOnnx } from '@svdecode/onnx-export';
import { type AdaptedModel, loadAdapter } from '@svdecode/peft-tfjs';
import { type GenerateOptions, generateAll } from '@svdecode/sampler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTiny, TINY_DEMO_ADAPTER_DIR, taskFile } from '../src/index.js';

process.env.SVDECODE_QUIET = '1';
const PROMPTS = 50;
const NEW_TOKENS = 64;
// the demo steering file's strength is 0 (guarded), which never needs the base: steer for real
const STEER = { mu: 0.5, alpha: 0.1 };

let adapted: AdaptedModel;
let paired: PairedOnnxCausalLM;
let prompts: number[][];
let dispose: () => Promise<void>;

beforeAll(async () => {
  const { model, tokenizer } = await loadTiny();
  adapted = await loadAdapter(model, TINY_DEMO_ADAPTER_DIR, { tokenizer });
  const dir = await mkdtemp(join(tmpdir(), 'svdecode-lazy-'));
  await exportOnnx(checkpointWeights(model), dir, { adapter: adapted.adapter, paired: true });
  paired = (await loadOnnxModel(dir)) as PairedOnnxCausalLM;
  // task prompts (capitals questions) and free-text openings cut from them: confident and open steps
  const rows = [
    ...(await loadPromptCompletionJsonl(taskFile('capitals-open', 'calibration'))),
    ...(await loadPromptCompletionJsonl(taskFile('capitals-open', 'test'))),
  ];
  prompts = rows.slice(0, PROMPTS).map((row, i) => {
    const text = i % 2 === 0 ? row.prompt : row.prompt.slice(3, 3 + 10 + (i % 7) * 3);
    return tokenizer.encode(text);
  });
  dispose = async () => {
    paired.dispose();
    adapted.dispose();
    model.dispose();
    await rm(dir, { recursive: true, force: true });
  };
}, 120_000);
afterAll(() => dispose?.());

const STRATEGIES = [
  ['greedy', { strategy: 'greedy' }],
  ['sample', { strategy: 'sample', temperature: 1 }],
  ['beam', { strategy: 'beam', numBeams: 2 }],
] as const;
const BACKENDS = [
  ['tfjs', () => adapted],
  ['onnx', () => paired],
] as const;

describe.each(BACKENDS)('lazy base decoding on the embedded model (%s)', (_, model) => {
  it.each(STRATEGIES)(
    `%s: ${PROMPTS} prompts x ${NEW_TOKENS} tokens, the same tokens as eager decoding`,
    async (_name, strategy) => {
      const m: PairedCausalLM = model();
      let skipped = 0;
      for (const [k, prompt] of prompts.entries()) {
        const options: GenerateOptions = {
          ...strategy,
          seed: k,
          maxNewTokens: NEW_TOKENS,
          eosTokenIds: [],
          steer: STEER,
        };
        const eager = await generateAll(m.createPairedSession(), prompt, options);
        // 'always': every step that can skip the base does, the prompt included (the most catch-ups)
        const lazy = await generateAll(m.createLazyPairedSession!(), prompt, {
          ...options,
          lazyBase: 'always',
        });
        expect(lazy.tokens, `prompt ${k}`).toEqual(eager.tokens);
        expect(lazy.tokens).toHaveLength(NEW_TOKENS);
        expect(Math.abs(lazy.logprob - eager.logprob)).toBeLessThan(1e-3);
        if (_name === 'greedy') {
          // the default: lazy runs only where the measured costs say they pay
          const chosen = await generateAll(m.createLazyPairedSession!(), prompt, options);
          expect(chosen.tokens, `prompt ${k}, default lazyBase`).toEqual(eager.tokens);
        }
        skipped += lazy.baseSkipped!;
        // tfjs-wasm resolves every step in a microtask: let the test runner's messages through
        await new Promise((resolve) => setImmediate(resolve));
      }
      // a comparison where the base always ran would prove nothing
      expect(skipped / prompts.length).toBeGreaterThan(0.2);
    },
    600_000,
  );

  it('catch-up logits equal step-by-step logits (within 1e-4) after 1, 5 and 20 skipped tokens', async () => {
    const m: PairedCausalLM = model();
    for (const k of [1, 5, 20]) {
      const prompt = prompts[k]!;
      const text = prompts
        .slice(k + 1, k + 8)
        .flatMap((p) => p.slice(1))
        .slice(0, k);
      expect(text).toHaveLength(k);
      const eager = m.createPairedSession();
      const lazy = m.createLazyPairedSession!();
      await eager.append(prompt);
      await lazy.append(prompt);
      let expected: Float32Array | undefined;
      for (const token of text) {
        expected = (await eager.append([token])).base;
        await lazy.appendAdapted([token]);
      }
      expect(lazy.baseBehind).toBe(text.length);
      const caughtUp = await lazy.catchUpBase();
      let worst = 0;
      for (let i = 0; i < caughtUp.length; i++)
        worst = Math.max(worst, Math.abs(caughtUp[i]! - expected![i]!));
      expect(worst).toBeLessThan(1e-4);
      eager.dispose();
      lazy.dispose();
    }
  });
});
