export type { OnnxDtype } from './graph-files.js';
export { availableDtypes, findOnnxGraph, ONNX_DTYPES } from './graph-files.js';
export type { LoadOnnxOptions } from './load.js';
export { loadOnnxModel } from './load.js';
export { OnnxCausalLM } from './onnx-model.js';
export type { OrtRunner, Shape } from './ort-runner.js';
export { PairedOnnxCausalLM } from './paired-model.js';
export { defaultThreads } from './threads.js';
