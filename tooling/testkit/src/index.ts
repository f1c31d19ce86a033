export type { ReferenceWeights } from './reference-llama.js';
export { HF_DIR, loadReferenceWeights, mergeLora, ReferenceLM, referenceForward } from './reference-llama.js';
export { tempDir } from './temp.js';
