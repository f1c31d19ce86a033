export type { ExportOnnxOptions } from './export.js';
export { exportOnnx, writeOnnxModel } from './export.js';
export { DataType, GraphBuilder } from './graph.js';
export type { LinearBranch, LlamaGraphOptions } from './llama-graph.js';
export { buildLlamaGraph } from './llama-graph.js';
