import { type LlamaConfig, ropeInverseFrequencies, ropeTables } from '@svdecode/hf-io';
import { DataType, GraphBuilder } from './graph.js';
import { type LinearBranch, type LinearGroupContext, linearGroup } from './linear-group.js';
import { quantizedGather, type WeightQuantization, weightOnlyMatMul } from './quantized-matmul.js';
import { addSteering } from './steering-graph.js';

/** Every weight of the model by checkpoint name, float32, in the checkpoint layout (linear [out, in]). */
export type WeightMap = ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>;

export interface LlamaGraphOptions {
  /** Linear weights to use instead of the model's (merged adapters), by checkpoint name. */
  replace?: ReadonlyMap<string, { shape: number[]; data: Float32Array }>;
  /** Adds the `adapter_scale` [batch] input and these branches. */
  branch?: LinearBranch;
  /** Longest position the rotary tables cover (default: the config's max positions). */
  maxPositions?: number;
  /**
   * Adds the `logits_to_keep` int64 scalar input of transformers 4.45+ exports: the LM head runs on
   * the last k positions only (0 keeps every position).
   */
  logitsToKeep?: boolean;
  /**
   * Weight-only block quantization of every linear layer and the LM head (onnxruntime's
   * `MatMulNBits`); embeddings, norms and adapter branches stay float32.
   */
  quantize?: WeightQuantization;
  /** With `branch`: SVDecode's steering step inside the graph (steering-graph.ts). */
  steering?: boolean;
}

/**
 * The Optimum decoder graph of a Llama-family model: inputs input_ids, attention_mask,
 * position_ids and past_key_values.{i}.key|value; outputs logits and present.{i}.key|value.
 */
export function buildLlamaGraph(c: LlamaConfig, w: WeightMap, options: LlamaGraphOptions = {}): Uint8Array {
  const g = new GraphBuilder();
  const { numHeads: H, numKvHeads: KV, headDim: D } = c;
  const group = H / KV;
  const maxPos = options.maxPositions ?? c.maxPositions;

  const ids = g.input('input_ids', DataType.INT64, ['batch_size', 'sequence_length']);
  const mask = g.input('attention_mask', DataType.INT64, ['batch_size', 'total_sequence_length']);
  const positions = g.input('position_ids', DataType.INT64, ['batch_size', 'sequence_length']);
  const past = Array.from({ length: c.numLayers }, (_, l) => ({
    k: g.input(`past_key_values.${l}.key`, DataType.FLOAT, ['batch_size', KV, 'past_sequence_length', D]),
    v: g.input(`past_key_values.${l}.value`, DataType.FLOAT, ['batch_size', KV, 'past_sequence_length', D]),
  }));
  const scale = options.branch ? g.input('adapter_scale', DataType.FLOAT, ['batch_size']) : undefined;
  const scaleColumn = scale ? g.one('Unsqueeze', [scale, g.ints([1, 2])]) : undefined; // [batch, 1, 1]

  const tensor = (name: string) => {
    const t = w.get(name);
    if (!t) throw new Error(`the weight map has no ${name}`); // the exporter fills it from expectedWeights
    return t;
  };
  const vector = (name: string) => {
    const t = tensor(name);
    return g.weight(name, t.data, [...t.shape]);
  };
  // linear weights come [out, in] (checkpoint layout; replacements too); modules that read one
  // input are one product (linear-group.ts)
  const linearContext: LinearGroupContext = {
    g,
    weight: (name) => options.replace?.get(name) ?? w.get(name),
    branch: options.branch,
    quantize: options.quantize,
    scaleColumn,
  };
  const linear = (x: string, modules: string[], name = modules[0]!) =>
    linearGroup(linearContext, x, modules, name);
  const rmsNorm = (x: string, name: string) => {
    const ms = g.one('ReduceMean', [g.one('Mul', [x, x])], { axes: [-1], keepdims: 1 });
    const normed = g.one('Div', [x, g.one('Sqrt', [g.one('Add', [ms, g.float(c.rmsNormEps)])])]);
    return g.one('Mul', [normed, vector(name)]);
  };

  // rotary tables [maxPos, D] gathered by position: [batch, 1, seq, D]
  const inv = ropeInverseFrequencies(c);
  const { cos, sin } = ropeTables(
    inv,
    Array.from({ length: maxPos }, (_, i) => i),
  );
  const cosT = g.one('Unsqueeze', [
    g.one('Gather', [g.weight('rope_cos', cos, [maxPos, D]), positions]),
    g.ints([1]),
  ]);
  const sinT = g.one('Unsqueeze', [
    g.one('Gather', [g.weight('rope_sin', sin, [maxPos, D]), positions]),
    g.ints([1]),
  ]);
  const rope = (x: string) => {
    const [x1, x2] = g.op('Split', [x, g.ints([D / 2, D / 2])], { axis: -1 }, 2);
    const rotated = g.one('Concat', [g.one('Neg', [x2!]), x1!], { axis: -1 });
    return g.one('Add', [g.one('Mul', [x, cosT]), g.one('Mul', [rotated, sinT])]);
  };

  // additive mask [batch, 1, seq, total]: key j visible to query i when j <= past + i and not padding
  const seqLen = g.one('Gather', [g.one('Shape', [ids]), g.ints([1], true)]);
  const totalLen = g.one('Gather', [g.one('Shape', [mask]), g.ints([1], true)]);
  const keyIdx = g.one('Range', [g.ints([0], true), totalLen, g.ints([1], true)]);
  const queryIdx = g.one('Range', [g.one('Sub', [totalLen, seqLen]), totalLen, g.ints([1], true)]);
  const causal = g.one('LessOrEqual', [
    g.one('Unsqueeze', [keyIdx, g.ints([0])]),
    g.one('Unsqueeze', [queryIdx, g.ints([1])]),
  ]);
  const padding = g.one('Unsqueeze', [g.one('Cast', [mask], { to: DataType.BOOL }), g.ints([1, 2])]);
  const allowed = g.one('And', [g.one('Unsqueeze', [causal, g.ints([0, 1])]), padding]);
  let additive = g.one('Where', [allowed, g.float(0), g.float(-1e9)]);
  if (group > 1) additive = g.one('Tile', [additive, g.ints([1, 1, group, 1])]); // rows of a KV group

  const embed = tensor('model.embed_tokens.weight');
  let hidden =
    (options.quantize?.embeddings &&
      quantizedGather(
        g,
        ids,
        'model.embed_tokens',
        embed.data,
        embed.shape as [number, number],
        options.quantize,
      )) ||
    g.one('Gather', [vector('model.embed_tokens.weight'), ids]);
  for (let l = 0; l < c.numLayers; l++) {
    const p = `model.layers.${l}.`;
    const h = rmsNorm(hidden, `${p}input_layernorm.weight`);
    const heads = (x: string, n: number) =>
      g.one('Transpose', [g.one('Reshape', [x, g.ints([0, 0, n, D])])], { perm: [0, 2, 1, 3] });
    const [qLinear, kLinear, vLinear] = linear(
      h,
      [`${p}self_attn.q_proj`, `${p}self_attn.k_proj`, `${p}self_attn.v_proj`],
      `${p}self_attn.qkv_proj`,
    );
    const q = rope(heads(qLinear!, H));
    const k = rope(heads(kLinear!, KV));
    const v = heads(vLinear!, KV);
    const presentK = g.one('Concat', [past[l]!.k, k], { axis: 2 });
    const presentV = g.one('Concat', [past[l]!.v, v], { axis: 2 });
    g.name(presentK, `present.${l}.key`);
    g.name(presentV, `present.${l}.value`);
    const grouped = g.one('Reshape', [q, g.ints([0, KV, -1, D])]);
    const scores = g.one('Add', [
      g.one('Mul', [
        g.one('MatMul', [grouped, g.one('Transpose', [presentK], { perm: [0, 1, 3, 2] })]),
        g.float(1 / Math.sqrt(D)),
      ]),
      additive,
    ]);
    const attn = g.one('MatMul', [g.one('Softmax', [scores], { axis: -1 }), presentV]);
    const merged = g.one('Reshape', [
      g.one('Transpose', [g.one('Reshape', [attn, g.ints([0, H, -1, D])])], { perm: [0, 2, 1, 3] }),
      g.ints([0, 0, H * D]),
    ]);
    hidden = g.one('Add', [hidden, linear(merged, [`${p}self_attn.o_proj`])[0]!]);
    const h2 = rmsNorm(hidden, `${p}post_attention_layernorm.weight`);
    const [gate, up] = linear(h2, [`${p}mlp.gate_proj`, `${p}mlp.up_proj`], `${p}mlp.gate_up_proj`);
    const act = g.one('Mul', [g.one('Mul', [gate!, g.one('Sigmoid', [gate!])]), up!]);
    hidden = g.one('Add', [hidden, linear(act, [`${p}mlp.down_proj`])[0]!]);
  }
  let final = rmsNorm(hidden, 'model.norm.weight');
  if (options.logitsToKeep) {
    const keep = g.one('Unsqueeze', [g.input('logits_to_keep', DataType.INT64, []), g.ints([0])]);
    const length = g.one('Gather', [g.one('Shape', [final]), g.ints([1])]);
    const start = g.one('Where', [
      g.one('Equal', [keep, g.ints([0])]),
      g.ints([0]),
      g.one('Sub', [length, keep]),
    ]);
    final = g.one('Slice', [final, start, g.ints([2 ** 62]), g.ints([1])]);
  }
  let logits: string;
  const headQuantization = options.quantize && {
    ...options.quantize,
    bits: options.quantize.headBits ?? options.quantize.bits,
  };
  if (!c.tieWordEmbeddings)
    logits = linearGroup({ ...linearContext, quantize: headQuantization }, final, ['lm_head'], 'lm_head')[0]!;
  else if (headQuantization) {
    // a quantized copy of the embedding as the head; the Gather keeps the float32 table
    const { data, shape } = tensor('model.embed_tokens.weight');
    logits = weightOnlyMatMul(g, final, 'lm_head.tied', data, shape as [number, number], headQuantization);
  } else {
    logits = g.one('MatMul', [final, g.one('Transpose', ['model.embed_tokens.weight'], { perm: [1, 0] })]);
  }
  g.name(logits, 'logits');
  if (options.steering && options.branch) addSteering(g, 'logits', c.vocabSize);

  g.output('logits', DataType.FLOAT, ['batch_size', 'sequence_length', c.vocabSize]);
  for (let l = 0; l < c.numLayers; l++) {
    g.output(`present.${l}.key`, DataType.FLOAT, ['batch_size', KV, 'total_sequence_length', D]);
    g.output(`present.${l}.value`, DataType.FLOAT, ['batch_size', KV, 'total_sequence_length', D]);
  }
  return g.serialize({
    paired: options.branch ? 'adapter_scale' : 'no',
    ...(options.steering && options.branch ? { steering: 'in-graph' } : {}),
  });
}
