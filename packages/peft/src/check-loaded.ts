import { SvdecodeError } from '@svdecode/core';

/** Checks a loaded tensor against the expected shape, naming it. */
export function checkLoaded(
  tensors: ReadonlyMap<string, { shape: number[]; values: Float32Array }>,
  name: string,
  shape: number[],
  source: string,
): Float32Array {
  const t = tensors.get(name);
  if (!t) {
    throw new SvdecodeError('MISSING_WEIGHT', `${source}: adapter tensor "${name}" is missing`, {
      details: { file: source, tensor: name },
    });
  }
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new SvdecodeError(
      'WEIGHT_SHAPE_MISMATCH',
      `${source}: adapter tensor "${name}" has shape [${t.shape.join(', ')}], this model needs [${shape.join(', ')}] — is the adapter for another model?`,
      { details: { file: source, tensor: name, actual: t.shape, expected: shape } },
    );
  }
  return t.values;
}
