import {
  LazyBaseCosts,
  type ModelSteering,
  type PairedRowRunner,
  type RowKind,
  type RowRun,
} from '@svdecode/core';
import { f16ToFloat32 } from '@svdecode/hf-io';
import * as ort from 'onnxruntime-node';
import { cacheRow, stackRows } from './cache-rows.js';

/** The steering step's outputs in a paired graph with steering inside (onnx-export's names). */
const STEERING_OUTPUTS = ['steered_logits', 'steer_kl', 'steer_kept'];
const NO_STEERING: ModelSteering = { mu: 0, alpha: 0.1, lambda: Number.NEGATIVE_INFINITY };

/** What a decoder graph's KV cache and logits look like. */
export interface Shape {
  layers: number;
  kvHeads: number;
  headDim: number;
  vocab: number;
}

/**
 * One loaded decoder graph and the one thing every session does with it: a run of some rows over a
 * KV cache. As core's `RowRunner` its state is the cache tensors, and core's session machine does
 * the rest (plain, paired and lazy sessions).
 */
export class OrtRunner implements PairedRowRunner<ort.Tensor[]> {
  readonly vocabSize: number;
  /** A paired export (`adapter_scale` input): base and adapted rows in one run. */
  readonly paired: boolean;
  readonly hasPositions: boolean;
  readonly merged: boolean;
  readonly logitsToKeep: string | undefined;
  /** A paired export with the steering step inside (`steering: true`). */
  readonly steersInModel: boolean;
  /** What a run fetches: every output, or every output but the steering step's. */
  readonly #plainOutputs: string[];
  /** Sessions created and not yet disposed (tests check that decoding frees what it makes). */
  liveSessions = 0;
  readonly lazyCosts = new LazyBaseCosts();

  constructor(
    readonly session: ort.InferenceSession,
    readonly shape: Shape,
    readonly cacheType: 'float32' | 'float16',
  ) {
    this.vocabSize = shape.vocab;
    this.paired = session.inputNames.includes('adapter_scale');
    this.hasPositions = session.inputNames.includes('position_ids');
    this.merged = session.inputNames.includes('use_cache_branch');
    this.logitsToKeep = session.inputNames.find((n) => n === 'logits_to_keep' || n === 'num_logits_to_keep');
    this.steersInModel = session.outputNames.includes('steered_logits');
    this.#plainOutputs = session.outputNames.filter((n) => !STEERING_OUTPUTS.includes(n));
  }

  /** A run of rows for core's session machine; base rows run at adapter scale 0 on a paired export. */
  async run(
    rows: readonly RowKind[],
    cache: ort.Tensor[] | undefined,
    past: number,
    tokens: number[],
    steering?: ModelSteering,
  ): Promise<RowRun<ort.Tensor[]>> {
    const scale = this.paired ? rows.map((r) => (r === 'base' ? 0 : 1)) : undefined;
    // the steering step runs (and is fetched) only on a (base, adapted) run that asks for it
    const steer = this.steersInModel && steering && rows.length === 2 ? steering : undefined;
    const { logits, present, positions, outputs } = await this.forward(
      tokens,
      rows.length,
      past,
      cache,
      scale,
      {
        steering: steer,
      },
    );
    const V = this.vocabSize;
    const last = (row: number) => (row * positions + positions - 1) * V;
    const run: RowRun<ort.Tensor[]> = {
      logits: (row) =>
        rows.length === 1 && positions === 1 ? logits : logits.slice(last(row), last(row) + V),
      state: present,
    };
    if (steer) {
      run.steered = {
        ...steer,
        logits: outputs.steered_logits!.data as Float32Array,
        kl: (outputs.steer_kl!.data as Float32Array)[0]!,
        kept: (outputs.steer_kept!.data as Float32Array)[0]!,
      };
    }
    return run;
  }

  split(joint: ort.Tensor[]): [ort.Tensor[], ort.Tensor[]] {
    return [joint.map((t) => cacheRow(t, 0)), joint.map((t) => cacheRow(t, 1))];
  }

  join(base: ort.Tensor[], adapted: ort.Tensor[]): ort.Tensor[] {
    return base.map((t, i) => stackRows(t, adapted[i]!));
  }

  /** onnxruntime outputs are fresh tensors every run, never written in place: forks share them. */
  fork(cache: ort.Tensor[]): ort.Tensor[] {
    return cache;
  }

  dispose(): void {
    // the garbage collector frees cache tensors (they may be shared with forks)
  }

  // per-token feeds made once: an attention mask is all ones (a view of one buffer that only grows;
  // nothing writes into it, so runs in flight may share it) and the row scales are a few constants
  #onesBuffer = new BigInt64Array(0);
  readonly #scales = new Map<string, ort.Tensor>();

  #ones(n: number): BigInt64Array {
    if (this.#onesBuffer.length < n)
      this.#onesBuffer = new BigInt64Array(Math.max(n, 2 * this.#onesBuffer.length, 256)).fill(1n);
    return this.#onesBuffer.subarray(0, n);
  }

  #scaleTensor(scale: number[]): ort.Tensor {
    const key = scale.join(',');
    let tensor = this.#scales.get(key);
    if (!tensor) {
      tensor = new ort.Tensor('float32', Float32Array.from(scale), [scale.length]);
      if (this.#scales.size < 16) this.#scales.set(key, tensor);
    }
    return tensor;
  }

  /** One forward: `tokens` appended to every row after `past` cached positions. */
  async forward(
    tokens: number[],
    rows: number,
    past: number,
    cache: ort.Tensor[] | undefined,
    scale: number[] | undefined,
    { keepAll = false, steering }: { keepAll?: boolean; steering?: ModelSteering } = {},
  ): Promise<{
    logits: Float32Array;
    present: ort.Tensor[];
    positions: number;
    outputs: ort.InferenceSession.OnnxValueMapType;
  }> {
    const { layers, kvHeads, headDim } = this.shape;
    const seq = tokens.length;
    // graphs with logits_to_keep (transformers 4.45+ exports) compute the LM head for the last
    // position only when decoding; 0 keeps every position (teacher forcing)
    const positions = this.logitsToKeep && !keepAll ? 1 : seq;
    const total = past + seq;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor(
        'int64',
        BigInt64Array.from({ length: rows * seq }, (_, i) => BigInt(tokens[i % seq]!)),
        [rows, seq],
      ),
      attention_mask: new ort.Tensor('int64', this.#ones(rows * total), [rows, total]),
    };
    if (this.hasPositions) {
      feeds.position_ids = new ort.Tensor(
        'int64',
        BigInt64Array.from({ length: rows * seq }, (_, i) => BigInt(past + (i % seq))),
        [rows, seq],
      );
    }
    if (this.logitsToKeep)
      feeds[this.logitsToKeep] = new ort.Tensor('int64', BigInt64Array.of(keepAll ? 0n : 1n), []);
    if (this.merged) feeds.use_cache_branch = new ort.Tensor('bool', Uint8Array.of(past > 0 ? 1 : 0), [1]);
    if (this.paired) feeds.adapter_scale = this.#scaleTensor(scale ?? new Array<number>(rows).fill(1));
    for (let l = 0; l < layers; l++) {
      for (const [j, kind] of ['key', 'value'].entries()) {
        feeds[`past_key_values.${l}.${kind}`] =
          cache?.[2 * l + j] ??
          (this.cacheType === 'float16'
            ? new ort.Tensor('float16', new Uint16Array(0), [rows, kvHeads, 0, headDim])
            : new ort.Tensor('float32', new Float32Array(0), [rows, kvHeads, 0, headDim]));
      }
    }
    if (this.steersInModel) {
      // inputs are fed on every run; the steering nodes run only when their outputs are fetched
      const s = steering ?? NO_STEERING;
      feeds.steer_mu = new ort.Tensor('float32', Float32Array.of(s.mu), []);
      feeds.steer_alpha = new ort.Tensor('float32', Float32Array.of(s.alpha), []);
      feeds.steer_lambda = new ort.Tensor('float32', Float32Array.of(s.lambda), []);
    }
    const out = steering
      ? await this.session.run(feeds)
      : this.steersInModel
        ? await this.session.run(feeds, this.#plainOutputs)
        : await this.session.run(feeds);
    const present: ort.Tensor[] = [];
    for (let l = 0; l < layers; l++) present.push(out[`present.${l}.key`]!, out[`present.${l}.value`]!);
    const raw = out.logits!;
    // a fresh buffer every run: used as it is, no copy
    const logits =
      raw.type === 'float16' ? f16ToFloat32(raw.data as Uint16Array) : (raw.data as Float32Array);
    return { logits, present, positions, outputs: out };
  }
}
