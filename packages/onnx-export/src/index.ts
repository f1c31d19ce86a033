export type { ExportOnnxOptions, OnnxExportDtype } from './export.js';
export { exportOnnx, STEERING_IN_GRAPH_MIN_VOCAB, writeOnnxModel } from './export.js';
export { DataType, GraphBuilder } from './graph.js';
export type { LinearBranch } from './linear-group.js';
export type { LlamaGraphOptions, WeightMap } from './llama-graph.js';
export { buildLlamaGraph } from './llama-graph.js';
export type { WeightQuantization } from './quantized-matmul.js';
export { addSteering, STEERING_INPUTS, STEERING_OUTPUTS } from './steering-graph.js';
