import type { GraphBuilder } from './graph.js';
import { type WeightQuantization, weightOnlyMatMul } from './quantized-matmul.js';

type Tensor = { shape: readonly number[]; data: Float32Array };

/** A per-row adapter branch on linear layers: the paired export keeps it instead of merging. */
export interface LinearBranch {
  /** LoRA: y + s * scaling * (x A^T) B^T */
  lora?: Map<
    string,
    { a: Float32Array; aShape: [number, number]; b: Float32Array; bShape: [number, number]; scaling: number }
  >;
  /** IA3: output (or, for feed-forward modules, input) scaled by 1 + s (l - 1) */
  ia3?: Map<string, { l: Float32Array; input: boolean }>;
  /** Any other adapter: y + s * x D^T, with D [out, in] (`linearDelta()` of kind dense). */
  dense?: Map<string, { data: Float32Array; shape: [number, number] }>;
}

/** What the Llama graph builder hands to `linearGroup`. */
export interface LinearGroupContext {
  g: GraphBuilder;
  /** A linear weight [out, in] (the replacement when merging) or a bias vector; undefined when absent. */
  weight(name: string): Tensor | undefined;
  branch?: LinearBranch;
  quantize?: WeightQuantization;
  /** The per-row adapter scale [batch, 1, 1] of a paired export. */
  scaleColumn?: string;
}

/**
 * Linear modules that read the same input (q, k, v; gate, up) as one product: their weights stacked
 * along the output, one matmul (or MatMulNBits), then a Split. An adapter branch follows the same
 * shape: the LoRA A matrices side by side, the B matrices as one block-diagonal matrix with the
 * LoRA scaling folded in, and the per-row scale applied to the rank-r activations; IA3 output
 * factors and dense deltas stacked (1 and 0 for modules the adapter leaves alone). A paired graph
 * has 4 nodes per group for its LoRA branch instead of 5 per module: on a small model the nodes,
 * not the FLOPs, are most of the paired run's extra time. Modules with an IA3 input factor
 * (feed-forward IA3 scales the input) are not grouped, as each scales its own input.
 */
export function linearGroup(
  ctx: LinearGroupContext,
  x: string,
  modules: readonly string[],
  name: string,
): string[] {
  const { g, branch, scaleColumn } = ctx;
  if (modules.length > 1 && modules.some((m) => branch?.ia3?.get(m)?.input))
    return modules.flatMap((m) => linearGroup(ctx, x, [m], m));
  const weights = modules.map((m) => ctx.weight(`${m}.weight`)!);
  const outs = weights.map((t) => t.shape[0]!);
  const inDim = weights[0]!.shape[1]!;
  const total = outs.reduce((a, b) => a + b, 0);
  const stacked = concat(weights.map((t) => t.data));
  // per-row factor 1 + s (l - 1) of IA3
  const factor = (lMinus1: Float32Array, label: string) =>
    g.one('Add', [g.float(1), g.one('Mul', [scaleColumn!, g.weight(label, lMinus1, [lMinus1.length])])]);
  let input = x;
  const ia3In = modules.length === 1 ? branch?.ia3?.get(modules[0]!) : undefined;
  if (ia3In?.input)
    input = g.one('Mul', [
      x,
      factor(
        ia3In.l.map((v) => v - 1),
        `${name}.ia3_l_minus_1`,
      ),
    ]);
  let y = ctx.quantize
    ? weightOnlyMatMul(g, input, `${name}.weight`, stacked, [total, inDim], ctx.quantize)
    : g.one('MatMul', [input, g.weight(`${name}.weight`, transpose(stacked, total, inDim), [inDim, total])]);
  const biases = modules.map((m, i) => ctx.weight(`${m}.bias`)?.data ?? new Float32Array(outs[i]!));
  if (modules.some((m) => ctx.weight(`${m}.bias`)))
    y = g.one('Add', [y, g.weight(`${name}.bias`, concat(biases), [total])]);
  const ia3Out = modules.map((m) => branch?.ia3?.get(m)).map((t) => (t && !t.input ? t : undefined));
  if (ia3Out.some(Boolean)) {
    const lMinus1 = concat(ia3Out.map((t, i) => (t ? t.l.map((v) => v - 1) : new Float32Array(outs[i]!))));
    y = g.one('Mul', [y, factor(lMinus1, `${name}.ia3_l_minus_1`)]);
  }
  const loras = modules.map((m) => branch?.lora?.get(m));
  if (loras.some(Boolean)) {
    const ranks = loras.map((l) => l?.aShape[0] ?? 0);
    const rank = ranks.reduce((a, b) => a + b, 0);
    const a = new Float32Array(inDim * rank); // [in, sum r]: A_i^T side by side
    const b = new Float32Array(rank * total); // [sum r, sum out]: scaling * B_i^T on the diagonal
    let r0 = 0;
    let o0 = 0;
    for (const [i, l] of loras.entries()) {
      if (l) {
        const r = ranks[i]!;
        for (let k = 0; k < r; k++) {
          for (let j = 0; j < inDim; j++) a[j * rank + r0 + k] = l.a[k * inDim + j]!;
          for (let o = 0; o < outs[i]!; o++) b[(r0 + k) * total + o0 + o] = l.scaling * l.b[o * r + k]!;
        }
        r0 += r;
      }
      o0 += outs[i]!;
    }
    const low = g.one('Mul', [
      g.one('MatMul', [x, g.weight(`${name}.lora_A_t`, a, [inDim, rank])]),
      scaleColumn!,
    ]);
    y = g.one('Add', [y, g.one('MatMul', [low, g.weight(`${name}.lora_B_t`, b, [rank, total])])]);
  }
  const dense = modules.map((m) => branch?.dense?.get(m));
  if (dense.some(Boolean)) {
    const d = concat(dense.map((t, i) => t?.data ?? new Float32Array(outs[i]! * inDim)));
    const dT = g.weight(`${name}.delta_t`, transpose(d, total, inDim), [inDim, total]);
    y = g.one('Add', [y, g.one('Mul', [g.one('MatMul', [x, dT]), scaleColumn!])]);
  }
  return modules.length === 1 ? [y] : g.op('Split', [y, g.ints(outs)], { axis: -1 }, modules.length);
}

function concat(parts: readonly Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** [rows, cols] row-major to [cols, rows]. */
export function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = data[i * cols + j]!;
  return out;
}
