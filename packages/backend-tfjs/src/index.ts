/** Moved to @svdecode/hf-io (the exporter needs them without tfjs); re-exported here. */
export { expectedWeights, ropeInverseFrequencies, ropeTables } from '@svdecode/hf-io';
export type { AttachAdapter } from './backend.js';
export { tfjsModelBackend } from './backend.js';
export { checkpointWeights } from './checkpoint-weights.js';
export type { ForwardHooks, ForwardInput, ForwardOutput, LayerCache } from './forward.js';
export { llamaForward } from './forward.js';
export { matMulPlainGrad } from './matmul.js';
export type { BatchScoreOptions, LoadTfjsModelOptions } from './model.js';
export { loadTfjsModel, TfjsCausalLM } from './model.js';
export type { RandomLlamaOptions } from './random-model.js';
export { parameterCount, randomLlama } from './random-model.js';
export type { InitTfjsOptions, TfjsBackendInfo, TfjsBackendName } from './tfjs-backends.js';
export { activeTfjsBackend, initTfjs } from './tfjs-backends.js';
export { enableGradients } from './training.js';
export type { LayerWeights, LlamaWeights } from './weights.js';
export { loadLlamaWeights } from './weights.js';
