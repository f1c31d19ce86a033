export type { ExportGgufOptions } from './export.js';
export { exportGguf, exportGgufLora } from './export.js';
export type { GgufTensor, GgufTensorType, GgufValue } from './gguf-file.js';
export { gguf, writeGguf } from './gguf-file.js';
export { permuteForRope } from './llama-names.js';
