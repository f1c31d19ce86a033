import { SvdecodeError } from '@svdecode/core';
import type { Dtype, TensorArray } from './dtypes.js';
import { bf16ToFloat32, f16ToFloat32 } from './float16.js';

/** Decoded tensor: raw typed array (F16/BF16 as their 16-bit patterns) plus dtype and shape. */
export interface TensorData {
  name: string;
  dtype: Dtype;
  shape: number[];
  data: TensorArray;
}

/** Any numeric tensor as float32 values; F16 and BF16 are converted exactly. */
export function toFloat32(tensor: TensorData): Float32Array {
  const { dtype, data } = tensor;
  switch (dtype) {
    case 'F32':
      return data as Float32Array;
    case 'F16':
      return f16ToFloat32(data as Uint16Array);
    case 'BF16':
      return bf16ToFloat32(data as Uint16Array);
    case 'I64':
    case 'U64': {
      const src = data as BigInt64Array | BigUint64Array;
      const out = new Float32Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = Number(src[i]!);
      return out;
    }
    case 'F8_E4M3':
    case 'F8_E5M2':
      throw new SvdecodeError(
        'SAFETENSORS_UNSUPPORTED_DTYPE',
        `tensor "${tensor.name}" is ${dtype}, which svdecode cannot convert to float32`,
        {
          details: { tensor: tensor.name, dtype },
        },
      );
    default:
      return Float32Array.from(data as ArrayLike<number>);
  }
}

/** Throws WEIGHT_SHAPE_MISMATCH naming the tensor and both shapes. */
export function checkShape(
  name: string,
  actual: readonly number[],
  expected: readonly number[],
  source = '',
): void {
  if (actual.length !== expected.length || actual.some((d, i) => d !== expected[i])) {
    throw new SvdecodeError(
      'WEIGHT_SHAPE_MISMATCH',
      `${source ? `${source}: ` : ''}tensor "${name}" has shape [${actual.join(', ')}], expected [${expected.join(', ')}]`,
      { details: { tensor: name, actual: [...actual], expected: [...expected] } },
    );
  }
}
