// shown in: packages/kl-gradient/README.md
import { createSteeringBuffers, steeringVector, steerLogits } from '@svdecode/kl-gradient';

const vocabSize = 8;
const buffers = createSteeringBuffers(vocabSize); // reuse across decoding steps
const steered = new Float32Array(vocabSize);
const argmax = (x) => x.indexOf(Math.max(...x));

// at every step, both models' logits for the same context:
const adaptedLogits = Float32Array.of(2.0, 1.8, 0.5, -1, -2, -3, -3, -4);
const baseLogits = Float32Array.of(1.0, 2.2, 0.4, -1, -2, -3, -3, -4);
const s = steeringVector(adaptedLogits, baseLogits, { alpha: 0.1, out: buffers });
steerLogits(adaptedLogits, s, 2.0, { out: steered }); // mu = 2; masked tokens become -Infinity
console.log(s.kl.toFixed(4), s.kept, argmax(adaptedLogits), argmax(steered)); // KL(p_adapted || p_base), tokens kept
