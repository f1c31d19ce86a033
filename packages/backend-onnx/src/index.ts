export type { LoadOnnxOptions } from './ort-model.js';
export { findOnnxGraph, loadOnnxModel, OnnxCausalLM, PairedOnnxCausalLM } from './ort-model.js';
