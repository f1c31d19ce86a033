// shown in: docs/getting-started.md
import { steeringSession } from '@svdecode/core';
import { encodeRows, loadPromptCompletionJsonl } from '@svdecode/eval';
import { AdaptedModel, createAdapter, defaultAdapterConfig, warmStart } from '@svdecode/peft-tfjs';
import { generateAll } from '@svdecode/sampler';
import { calibrate } from '@svdecode/strength';
import { loadTiny, taskFile } from '@svdecode/tiny';

const { model, tokenizer } = await loadTiny({ quiet: true });
// 1. Rows as token ids: encodeRows encodes each prompt as the tokenizer does (BOS first) and puts EOS
//    after the completion; only completion tokens are trained on and calibrated on.
const rows = async (split) =>
  encodeRows(tokenizer, await loadPromptCompletionJsonl(taskFile('capitals-open', split)));
const [train, calibration] = [(await rows('train')).slice(0, 30), await rows('calibration')];
// 2. Warm-start a fresh LoRA adapter (the paper's config). Its default learning rate, the paper's 5e-5,
//    barely moves a small model in a few steps; 1e-3 learns this task in one pass.
const adapted = new AdaptedModel(
  model,
  createAdapter(model, defaultAdapterConfig('lora', model), { seed: 0 }),
);
await warmStart(adapted, train, { epochs: 1, learningRate: 1e-3 });
// 3. One steering strength mu from the calibration split. The held-out guard keeps it only when it
//    lowers held-out cross-entropy, and sets it to 0 (plain PEFT) when it does not: read the reason.
const { summary } = await calibrate(adapted, calibration);
console.log(`mu = ${summary.decision.mu.toFixed(3)}: ${summary.decision.reason}`);
// 4. Steered decoding: base and adapted logits at every step, the adapted ones nudged by mu along
//    the KL gradient (steeringSession skips the base model on steps that cannot need it).
const prompt = tokenizer.encode('Q: What is the capital of Peru?\nA:');
const steer = { mu: summary.decision.mu };
const { text } = await generateAll(steeringSession(adapted), prompt, {
  maxNewTokens: 8,
  tokenizer,
  stopStrings: ['\n'],
  steer,
});
console.log(JSON.stringify(text));
adapted.dispose();
model.dispose();
