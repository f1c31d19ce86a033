// shown in: packages/sampler/README.md
import { steeringSession } from '@svdecode/core';
import { loadAdapter } from '@svdecode/peft-tfjs';
import { generate } from '@svdecode/sampler';
import { loadTiny, TINY_DEMO_ADAPTER_DIR } from '@svdecode/tiny';

const { model, tokenizer } = await loadTiny({ quiet: true });
const adapted = await loadAdapter(model, TINY_DEMO_ADAPTER_DIR, { tokenizer });
const session = steeringSession(adapted); // base and adapted logits per step (lazily: see below)
const run = generate(session, tokenizer.encode('Q: What is the capital of France?\nA:'), {
  steer: { mu: 0.5 }, // alpha 0.1, lambda -Infinity by default (the paper's)
  strategy: 'greedy', // or 'sample' (seed, temperature, topK, topP, minP) or 'beam' (numBeams)
  maxNewTokens: 16,
  eosTokenIds: tokenizer.eosTokenIds,
  tokenizer, // text in events, stop strings
  stopStrings: ['\n'],
  signal: AbortSignal.timeout(10_000),
});
for await (const step of run) process.stdout.write(step.text ?? '');
const { tokens, finishReason } = await run.result;
console.log(`\n${tokens.length} tokens, ${finishReason}`);
adapted.dispose();
model.dispose();
