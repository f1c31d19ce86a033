// Child process of pipeline.mjs: decodes 64 tokens on the embedded model (plain adapted or steered)
// and prints its peak RSS, so the two modes are measured in separate, otherwise identical processes.
import { loadAdapter } from '@svdecode/peft-tfjs';
import { generateAll } from '@svdecode/sampler';
import { loadTiny, TINY_DEMO_ADAPTER_DIR } from '@svdecode/tiny';

process.env.SVDECODE_QUIET = '1';
const steered = process.argv[2] === 'steered';
const { model, tokenizer } = await loadTiny();
const adapted = await loadAdapter(model, TINY_DEMO_ADAPTER_DIR, { tokenizer });
const prompt = tokenizer.encode('The capital of Georgia is');
for (let i = 0; i < 4; i++) {
  await generateAll(steered ? adapted.createPairedSession() : adapted.createSession(), prompt, {
    maxNewTokens: 64,
    steer: steered ? { mu: 0.5 } : false,
  });
}
process.stdout.write(`${JSON.stringify({ maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
process.exit(0);
