/**
 * transformers.js's dtype names for the graphs of an onnx-community model directory and the file
 * suffix each selects (`onnx/model${suffix}.onnx`): the exporter writes these names and the ONNX
 * backend reads them.
 */
export const ONNX_DTYPES = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  quantized: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
} as const;
export type OnnxDtype = keyof typeof ONNX_DTYPES;
