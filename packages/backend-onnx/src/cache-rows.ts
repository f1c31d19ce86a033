import * as ort from 'onnxruntime-node';

/** Row `row` of a [rows, ...] cache tensor, as a one-row tensor (a copy). */
export function cacheRow(t: ort.Tensor, row: number): ort.Tensor {
  const rows = t.dims[0]!;
  const data = t.data as Float32Array | Uint16Array;
  const stride = data.length / rows;
  return new ort.Tensor(t.type as 'float32', data.slice(row * stride, (row + 1) * stride) as Float32Array, [
    1,
    ...t.dims.slice(1),
  ]);
}

/** Two one-row cache tensors of the same length as one [2, ...] tensor. */
export function stackRows(a: ort.Tensor, b: ort.Tensor): ort.Tensor {
  const da = a.data as Float32Array | Uint16Array;
  const out = new (da.constructor as Float32ArrayConstructor)(da.length * 2);
  out.set(da as Float32Array, 0);
  out.set(b.data as Float32Array, da.length);
  return new ort.Tensor(a.type as 'float32', out, [2, ...a.dims.slice(1)]);
}
