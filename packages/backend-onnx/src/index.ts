export { hfConfig } from '@svdecode/hf-io';
export type { ExportOnnxOptions } from './export/export.js';
export { exportOnnx, writeOnnxModel } from './export/export.js';
export { GraphBuilder } from './export/graph.js';
export type { LinearBranch, LlamaGraphOptions } from './export/llama-graph.js';
export { buildLlamaGraph } from './export/llama-graph.js';
export type { LoadOnnxOptions } from './ort-model.js';
export { loadOnnxModel, OnnxCausalLM, PairedOnnxCausalLM } from './ort-model.js';
