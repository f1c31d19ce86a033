// shown in: packages/tiny/README.md
import { generateAll } from '@svdecode/sampler';
import { loadTiny } from '@svdecode/tiny';

const { model, tokenizer } = await loadTiny({ quiet: true }); // tfjs, the committed model/ directory
// encode(text) puts BOS first, as the model saw text in training; { addSpecialTokens: false } is bare text
const prompt = tokenizer.encode('Q: What is the capital of France?\nA:');
const { text } = await generateAll(model.createSession(), prompt, {
  maxNewTokens: 8,
  tokenizer,
  stopStrings: ['\n'],
});
console.log(JSON.stringify(text)); // greedy, as the paper decodes
model.dispose();
