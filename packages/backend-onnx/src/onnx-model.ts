import { type CausalLM, checkTokens, type DecodeSession, type ModelInfo, RowSession } from '@svdecode/core';
import type * as ort from 'onnxruntime-node';
import type { OrtRunner, Shape } from './ort-runner.js';

/**
 * An Optimum-format decoder (`onnx/model.onnx`, or the older `onnx/decoder_model_merged.onnx` with
 * `use_cache_branch`) run by onnxruntime-node, as a `CausalLM` with a KV cache. float16 caches stay
 * float16; float16 logits are converted. A model exported with `paired: true` also gives
 * `createPairedSession()` (base and adapted rows in one run). Made by `loadOnnxModel`.
 */
export class OnnxCausalLM implements CausalLM {
  readonly info: ModelInfo;
  readonly vocabSize: number;

  constructor(
    /** The graph and its runs (core's `RowRunner`: sessions are core's session machine on it). */
    readonly runner: OrtRunner,
    info: Omit<ModelInfo, 'vocabSize'>,
  ) {
    this.vocabSize = runner.vocabSize;
    this.info = { ...info, vocabSize: runner.vocabSize };
  }

  /** The onnxruntime session, its cache shape and cache type. */
  get session(): ort.InferenceSession {
    return this.runner.session;
  }
  get shape(): Shape {
    return this.runner.shape;
  }
  get cacheType(): 'float32' | 'float16' {
    return this.runner.cacheType;
  }
  get paired(): boolean {
    return this.runner.paired;
  }
  /** Sessions created and not yet disposed. */
  get liveSessions(): number {
    return this.runner.liveSessions;
  }

  createSession(): DecodeSession {
    return new RowSession(this.runner, 'adapted');
  }

  async score(tokens: ArrayLike<number>): Promise<Float32Array> {
    checkTokens(tokens, this.vocabSize);
    const { logits } = await this.runner.forward(
      Array.from(tokens),
      1,
      0,
      undefined,
      this.paired ? [1] : undefined,
      { keepAll: true },
    );
    return logits.length === tokens.length * this.vocabSize
      ? logits
      : logits.slice(0, tokens.length * this.vocabSize);
  }

  dispose(): void {
    void this.runner.session.release();
  }
}
