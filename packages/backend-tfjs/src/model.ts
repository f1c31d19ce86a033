import { basename } from 'node:path';
import {
  type CausalLM,
  checkTokens,
  type DecodeSession,
  type ModelInfo,
  type RowKind,
  type RowRun,
  type RowRunner,
  RowSession,
  SvdecodeError,
} from '@svdecode/core';
import {
  type LlamaConfig,
  loadModelDirectory,
  type ModelDirectory,
  ropeInverseFrequencies,
} from '@svdecode/hf-io';
import * as tf from '@tensorflow/tfjs-core';
import { type ForwardHooks, type ForwardOutput, type LayerCache, llamaForward } from './forward.js';
import { type InitTfjsOptions, initTfjs } from './tfjs-backends.js';
import { disposeWeights, type LlamaWeights, loadLlamaWeights } from './weights.js';

export interface LoadTfjsModelOptions extends InitTfjsOptions {
  /** Display name (default: the directory name). */
  name?: string;
  /** Adapter hooks applied in every forward of this model's sessions and scores. */
  hooks?: ForwardHooks;
}

/** Pads rows to one length; `side: 'left'` aligns their last tokens (generation), 'right' their first. */
export interface BatchScoreOptions {
  side?: 'left' | 'right';
  hooks?: ForwardHooks;
  rowScale?: number[];
}

/**
 * A Llama-family model in TensorFlow.js, loaded from a Hugging Face directory. Implements
 * `CausalLM` with KV-cached sessions; `scoreBatch` runs rows of different lengths in one padded
 * forward; `forward` is the lower-level entry point adapters build on.
 */
export class TfjsCausalLM implements CausalLM {
  readonly info: ModelInfo;
  readonly vocabSize: number;
  readonly #inv: Float64Array;
  #disposed = false;
  readonly #rows = new CacheRows(this);

  constructor(
    readonly config: LlamaConfig,
    readonly weights: LlamaWeights,
    info: Omit<ModelInfo, 'vocabSize' | 'architecture' | 'maxPositions'>,
    readonly hooks?: ForwardHooks,
  ) {
    this.vocabSize = config.vocabSize;
    this.info = {
      ...info,
      vocabSize: config.vocabSize,
      architecture: config.modelType,
      maxPositions: config.maxPositions,
    };
    this.#inv = ropeInverseFrequencies(config);
  }

  /** Runs the forward pass (see `llamaForward`); the caller owns the returned tensors. */
  forward(input: Omit<Parameters<typeof llamaForward>[3], 'hooks'> & { hooks?: ForwardHooks }) {
    this.#check();
    return llamaForward(this.config, this.weights, this.#inv, { ...input, hooks: input.hooks ?? this.hooks });
  }

  createSession(): DecodeSession {
    this.#check();
    return new RowSession(this.#rows, 'adapted');
  }

  async score(tokens: ArrayLike<number>): Promise<Float32Array> {
    checkTokens(tokens, this.vocabSize);
    const [rows] = await this.scoreBatch([Array.from(tokens)]);
    return rows!;
  }

  /**
   * Teacher-forced logits for several rows of different lengths in one padded batch: row r gets
   * `rows[r].length * vocabSize` logits, equal to scoring it alone.
   */
  async scoreBatch(rows: number[][], options: BatchScoreOptions = {}): Promise<Float32Array[]> {
    if (rows.length === 0) return [];
    for (const r of rows) checkTokens(r, this.vocabSize);
    const batch = rows.length;
    const seq = Math.max(...rows.map((r) => r.length));
    const side = options.side ?? 'right';
    const ids = new Int32Array(batch * seq);
    const positions = new Int32Array(batch * seq);
    const keyValid = new Uint8Array(batch * seq);
    rows.forEach((row, b) => {
      const offset = side === 'left' ? seq - row.length : 0;
      row.forEach((t, i) => {
        ids[b * seq + offset + i] = t;
        positions[b * seq + offset + i] = i;
        keyValid[b * seq + offset + i] = 1;
      });
    });
    const logits = tf.tidy(() => {
      const rowScale = options.rowScale ? tf.tensor1d(options.rowScale) : undefined;
      const out = this.forward({ ids, batch, seq, positions, keyValid, hooks: options.hooks, rowScale });
      for (const layer of out.cache) tf.dispose([layer.k, layer.v]);
      return out.logits;
    });
    const data = (await logits.data()) as Float32Array;
    logits.dispose();
    const V = this.vocabSize;
    return rows.map((row, b) => {
      const offset = side === 'left' ? seq - row.length : 0;
      return data.slice((b * seq + offset) * V, (b * seq + offset + row.length) * V);
    });
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    disposeWeights(this.weights);
  }

  /** Sessions created and not yet disposed. */
  get liveSessions(): number {
    return this.#rows.liveSessions;
  }

  #check(): void {
    if (this.#disposed) throw new SvdecodeError('SESSION_DISPOSED', `model ${this.info.name} was disposed`);
  }
}

/** The model as core's `RowRunner`: one row, its KV cache the state; core's session machine does the rest. */
class CacheRows implements RowRunner<LayerCache[]> {
  liveSessions = 0;

  constructor(private readonly model: TfjsCausalLM) {}

  get vocabSize(): number {
    return this.model.vocabSize;
  }

  async run(_rows: readonly RowKind[], cache: LayerCache[] | undefined, past: number, tokens: number[]) {
    const seq = tokens.length;
    const positions = Int32Array.from({ length: seq }, (_, i) => past + i);
    const out = tf.tidy(
      () =>
        this.model.forward({
          ids: Int32Array.from(tokens),
          batch: 1,
          seq,
          positions,
          past: cache ?? [],
          lastOnly: true,
        }) as unknown as tf.TensorContainer,
    ) as unknown as ForwardOutput;
    let data: Float32Array;
    try {
      data = (await out.logits.data()) as Float32Array;
    } catch (error) {
      this.dispose(out.cache);
      throw error;
    } finally {
      out.logits.dispose();
    }
    if (cache) this.dispose(cache);
    return { logits: () => data, state: out.cache } satisfies RowRun<LayerCache[]>;
  }

  /** tf.clone shares the underlying data (reference counted); caches are never written in place. */
  fork(cache: LayerCache[]): LayerCache[] {
    return cache.map((layer) => ({ k: tf.clone(layer.k), v: tf.clone(layer.v) }));
  }

  dispose(cache: LayerCache[]): void {
    for (const layer of cache) tf.dispose([layer.k, layer.v]);
  }
}

/** Loads a Hugging Face model directory into tfjs (starting the best tfjs backend first). */
export async function loadTfjsModel(
  dirOrModel: string | ModelDirectory,
  options: LoadTfjsModelOptions = {},
): Promise<TfjsCausalLM> {
  const backend = await initTfjs(options);
  const dir = typeof dirOrModel === 'string' ? await loadModelDirectory(dirOrModel) : dirOrModel;
  try {
    const weights = await loadLlamaWeights(dir.config, dir.weights);
    return new TfjsCausalLM(
      dir.config,
      weights,
      {
        name: options.name ?? basename(dir.dir),
        backend: backend.name.startsWith('tfjs') ? backend.name : `tfjs-${backend.name}`,
      },
      options.hooks,
    );
  } finally {
    if (typeof dirOrModel === 'string') await dir.close();
  }
}
