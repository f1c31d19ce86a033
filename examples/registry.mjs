// shown in: packages/core/README.md
import '@svdecode/backend-onnx/register'; // each backend registers itself when imported
import '@svdecode/peft-tfjs/register'; // tfjs, with PEFT adapters
import { chooseModelBackend, SvdecodeError, steeringSession } from '@svdecode/core';
import { generateAll } from '@svdecode/sampler';
import { TINY_DEMO_ADAPTER_DIR, TINY_MODEL_DIR } from '@svdecode/tiny';

// the highest-priority backend that can load this source (safetensors: tfjs; an ONNX export: onnx)
const backend = await chooseModelBackend(TINY_MODEL_DIR);
// one typed options object; an option a backend cannot honour is refused with a code and a hint
const loaded = await backend.load(TINY_MODEL_DIR, { adapter: TINY_DEMO_ADAPTER_DIR });
try {
  const prompt = loaded.tokenizer.encode('Q: What is the capital of Chile?\nA:');
  const session = steeringSession(loaded.paired); // base and adapted logits at each step
  const { tokens } = await generateAll(session, prompt, { maxNewTokens: 6, steer: { mu: 0.5 } });
  console.log(backend.name, loaded.provenance.base.slice(0, 15), loaded.tokenizer.decode(tokens));
  await backend.load(TINY_MODEL_DIR, { dtype: 'q4' }); // dtype picks an ONNX graph: refused on tfjs
} catch (error) {
  if (!(error instanceof SvdecodeError)) throw error;
  console.log(error.format()); // "CODE: message\n  hint: ..."
} finally {
  loaded.dispose();
}
