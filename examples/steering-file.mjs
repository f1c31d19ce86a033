// shown in: packages/strength/README.md
import '@svdecode/peft-tfjs/register';
import { chooseModelBackend, steeringSession } from '@svdecode/core';
import { generateAll } from '@svdecode/sampler';
import { checkSteeringMatches, readSteeringFile } from '@svdecode/strength';
import { TINY_DEMO_ADAPTER_DIR, TINY_DEMO_STEERING_FILE, TINY_MODEL_DIR } from '@svdecode/tiny';

// a steering file (what `svdecode calibrate` writes): read and validated (format, finite mu)
const steering = await readSteeringFile(TINY_DEMO_STEERING_FILE);
const backend = await chooseModelBackend(TINY_MODEL_DIR);
const loaded = await backend.load(TINY_MODEL_DIR, { adapter: TINY_DEMO_ADAPTER_DIR });
// refuses (STEERING_MISMATCH) a file calibrated for another base model or adapter
checkSteeringMatches(steering, TINY_DEMO_STEERING_FILE, loaded.provenance);
console.log(`mu = ${steering.muBar} (${steering.aggregate}): ${steering.decision?.reason ?? ''}`);
const prompt = loaded.tokenizer.encode('Q: What is the capital of Chile?\nA:');
const steer = { mu: steering.muBar, alpha: steering.alpha };
const { tokens } = await generateAll(steeringSession(loaded.paired), prompt, { maxNewTokens: 6, steer });
console.log(loaded.tokenizer.decode(tokens));
loaded.dispose();
