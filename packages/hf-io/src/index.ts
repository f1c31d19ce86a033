export type { AsymmetricBlockQuantized, BlockQuantized } from './block-quant.js';
export {
  dequantizeRows,
  dequantizeRowsAsymmetric,
  QUANT_BLOCK,
  quantizeRows,
  quantizeRowsAsymmetric,
} from './block-quant.js';
export type { CheckpointWeights } from './checkpoint-weights.js';
export { openCheckpointWeights } from './checkpoint-weights.js';
export type { GenerationConfig, LlamaConfig, RopeScaling } from './config.js';
export {
  hfConfig,
  parseGenerationConfig,
  parseLlamaConfig,
} from './config.js';
export { expectedWeights } from './expected-weights.js';
export { fileExists, readJsonFile } from './json-file.js';
export type { LinearAdapter, LinearDelta, LinearName } from './linear-delta.js';
export { applyLinearDelta, linearDeltasOf, parseLinearModule } from './linear-delta.js';
export type { LoadModelDirectoryOptions, ModelDirectory } from './model-dir.js';
export { loadModelDirectory } from './model-dir.js';
export type { OnnxDtype } from './onnx-dtypes.js';
export { ONNX_DTYPES } from './onnx-dtypes.js';
export {
  directoryProvenance,
  EXPORT_PROVENANCE,
  fingerprintAdapter,
  fingerprintFile,
  fingerprintModel,
} from './provenance.js';
export { ropeInverseFrequencies, ropeTables } from './rope.js';
export * from './safetensors/index.js';
export { replaceDirectory, stageDirectory, stageFile, stagingPath, writeFileAtomic } from './staging.js';
export { HfTokenizer, loadTokenizer } from './tokenizer.js';
export { holdsSafetensorsModel, ModelWeights } from './weights.js';
