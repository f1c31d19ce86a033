export type { OnnxDtype } from './graph-files.js';
export { availableDtypes, findOnnxGraph, ONNX_DTYPES } from './graph-files.js';
export type { LoadOnnxOptions } from './load.js';
export { loadOnnxModel } from './load.js';
export { OnnxCausalLM, PairedOnnxCausalLM } from './models.js';
