export type { LoadOnnxOptions, OnnxDtype } from './ort-model.js';
export {
  availableDtypes,
  findOnnxGraph,
  loadOnnxModel,
  ONNX_DTYPES,
  OnnxCausalLM,
  PairedOnnxCausalLM,
} from './ort-model.js';
