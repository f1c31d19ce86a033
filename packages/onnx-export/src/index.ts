// where they live since the GGUF exporter reads them too; re-exported for existing imports
export type { CheckpointWeights } from '@svdecode/hf-io';
export { openCheckpointWeights } from '@svdecode/hf-io';
export type { ExportOnnxOptions, LinearAdapter } from './export.js';
export { exportOnnx, writeOnnxModel } from './export.js';
export { DataType, GraphBuilder } from './graph.js';
export type { LinearBranch, LlamaGraphOptions } from './llama-graph.js';
export { buildLlamaGraph } from './llama-graph.js';
