export type { ExportGgufOptions } from './export.js';
export { exportGguf, exportGgufLora } from './export.js';
export type { GgufTensor, GgufTensorType, GgufValue } from './gguf-file.js';
export { GGUF_ALIGNMENT, gguf, writeGguf } from './gguf-file.js';
export { llamaTensors, permuteForRope } from './llama-names.js';
export { tokenizerMetadata } from './tokenizer-metadata.js';
