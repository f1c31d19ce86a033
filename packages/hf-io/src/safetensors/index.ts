export type { TensorData } from './convert.js';
export { checkShape, toFloat32 } from './convert.js';
export type { Dtype, TensorArray } from './dtypes.js';
export { DTYPE_BYTES, isDtype } from './dtypes.js';
export {
  bf16BitsToFloat,
  bf16ToFloat32,
  f16BitsToFloat,
  f16ToFloat32,
  float32ToBf16,
  float32ToF16,
  floatToBf16Bits,
  floatToF16Bits,
} from './float16.js';
export type { SafetensorsHeader, TensorInfo } from './header.js';
export { findDuplicateTopLevelKey, MAX_HEADER_BYTES, parseHeader, readHeaderLength } from './header.js';
export { parseSafetensors, readSafetensors, SafetensorsBuffer, SafetensorsFile } from './reader.js';
export type { TensorInput } from './writer.js';
export { serializeSafetensors, writeSafetensors } from './writer.js';
