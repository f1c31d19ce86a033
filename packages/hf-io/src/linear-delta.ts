import { SvdecodeError } from '@svdecode/core';

/**
 * What an adapter does to one linear module's weight W ([out, in], the checkpoint layout): PEFT's
 * `get_delta_weight`, in the compact form each kind of adapter has. Merging, ONNX export and any
 * other backend read adapters through this, never through an adapter's own fields.
 */
/**
 * An adapter as merging and the exporters see it: its type and what it adds to linear weights.
 * `linearDelta` is absent on adapters that change the input rather than the weights (prompt tuning,
 * P-tuning v2): they have no merged or exported form. PEFT files (`@svdecode/peft`), the tfjs
 * adapters (`@svdecode/peft-tfjs`) and user-defined types all fit it.
 */
export interface LinearAdapter {
  readonly type: string;
  linearDelta?(): Promise<ReadonlyMap<string, LinearDelta>>;
}

/** The adapter's deltas, or BAD_ARGUMENT naming what `what` (an export) cannot take. */
export function linearDeltasOf(
  adapter: LinearAdapter,
  what: string,
): Promise<ReadonlyMap<string, LinearDelta>> {
  if (!adapter.linearDelta) {
    throw new SvdecodeError('BAD_ARGUMENT', `a ${adapter.type} adapter cannot be used for ${what}`, {
      hint: `${what} needs an adapter that changes linear weights (LoRA, IA3, or a custom type with linearDelta()); prompt methods change the input, not the weights.`,
    });
  }
  return adapter.linearDelta();
}

export type LinearDelta =
  /** W' = W + data ([out, in]): any adapter can say this. */
  | { kind: 'dense'; data: Float32Array }
  /** W' = W + scaling * B A, with A [rank, in] and B [out, rank] (LoRA). */
  | { kind: 'low-rank'; a: Float32Array; b: Float32Array; rank: number; scaling: number }
  /** W' = W scaled per input column (`axis: 'in'`) or per output row (`'out'`) (IA3). */
  | { kind: 'scale'; vector: Float32Array; axis: 'in' | 'out' };

function checkLength(module: string, what: string, actual: number, expected: number): void {
  if (actual !== expected) {
    throw new SvdecodeError(
      'WEIGHT_SHAPE_MISMATCH',
      `the adapter's ${what} for ${module} has ${actual} values, the weight needs ${expected}`,
      { details: { module, what, actual, expected } },
    );
  }
}

/** W' = W + delta, in the checkpoint layout [out, in]; `weight` is not modified. */
export function applyLinearDelta(
  module: string,
  weight: Float32Array,
  [outDim, inDim]: readonly [number, number],
  delta: LinearDelta,
): Float32Array {
  checkLength(module, 'weight', weight.length, outDim * inDim);
  const out = Float32Array.from(weight);
  switch (delta.kind) {
    case 'dense':
      checkLength(module, 'dense delta', delta.data.length, outDim * inDim);
      for (let i = 0; i < out.length; i++) out[i]! += delta.data[i]!;
      return out;
    case 'low-rank': {
      const { a, b, rank, scaling } = delta;
      checkLength(module, 'A', a.length, rank * inDim);
      checkLength(module, 'B', b.length, outDim * rank);
      for (let o = 0; o < outDim; o++) {
        for (let r = 0; r < rank; r++) {
          const f = scaling * b[o * rank + r]!;
          if (f === 0) continue;
          for (let i = 0; i < inDim; i++) out[o * inDim + i]! += f * a[r * inDim + i]!;
        }
      }
      return out;
    }
    case 'scale': {
      const along = delta.axis === 'in' ? inDim : outDim;
      checkLength(module, 'scale vector', delta.vector.length, along);
      for (let o = 0; o < outDim; o++) {
        for (let i = 0; i < inDim; i++) out[o * inDim + i]! *= delta.vector[delta.axis === 'in' ? i : o]!;
      }
      return out;
    }
  }
}

/** The projections of a Llama-family layer, as the backend's layer weights name them. */
export type LinearName = 'q' | 'k' | 'v' | 'o' | 'gate' | 'up' | 'down';

const LINEAR_MODULE = /^model\.layers\.(\d+)\.(self_attn|mlp)\.(q|k|v|o|gate|up|down)_proj$/;

/** `model.layers.3.self_attn.q_proj` -> `{ layer: 3, proj: 'q' }`; undefined for any other path. */
export function parseLinearModule(module: string): { layer: number; proj: LinearName } | undefined {
  const match = LINEAR_MODULE.exec(module);
  return match ? { layer: Number(match[1]), proj: match[3] as LinearName } : undefined;
}
