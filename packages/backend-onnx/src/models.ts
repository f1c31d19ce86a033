import {
  type CausalLM,
  checkTokens,
  type DecodeSession,
  LazyBaseCosts,
  type LazyPairedSession,
  type ModelInfo,
  type PairedCausalLM,
  type PairedLogits,
  type PairedSession,
} from '@svdecode/core';
import type * as ort from 'onnxruntime-node';
import { OrtLazyPairedSession } from './lazy-session.js';
import type { OrtRunner, Shape } from './ort-runner.js';
import { OrtPairedSession, OrtPlainSession } from './sessions.js';

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
    protected readonly runner: OrtRunner,
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
    return new OrtPlainSession(this.runner, this.paired ? [1] : undefined);
  }

  async score(tokens: ArrayLike<number>): Promise<Float32Array> {
    checkTokens(tokens, this.vocabSize);
    const { logits } = await this.run(
      Array.from(tokens),
      1,
      0,
      undefined,
      this.paired ? [1] : undefined,
      true,
    );
    return logits.length === tokens.length * this.vocabSize
      ? logits
      : logits.slice(0, tokens.length * this.vocabSize);
  }

  /** One run: `tokens` appended to every row after `past` cached positions (`OrtRunner.run`). */
  run(...args: Parameters<OrtRunner['run']>): ReturnType<OrtRunner['run']> {
    return this.runner.run(...args);
  }

  dispose(): void {
    void this.runner.session.release();
  }
}

/**
 * A model exported with `paired: true`: its `adapter_scale` input scales the adapter per batch row,
 * so base (scale 0) and adapted (scale 1) logits come from one run of two rows.
 */
export class PairedOnnxCausalLM extends OnnxCausalLM implements PairedCausalLM {
  /** Lazy decoding's running cost estimates, shared by this model's lazy sessions. */
  readonly lazyCosts = new LazyBaseCosts();

  createPairedSession(): PairedSession {
    return new OrtPairedSession(this.runner);
  }

  /**
   * Lazy base decoding: eager steps run base and adapted rows together (as `createPairedSession`);
   * adapted-only steps run one row, and the base row catches up in one run when a step needs it.
   */
  createLazyPairedSession(): LazyPairedSession {
    return new OrtLazyPairedSession(this.runner, this.lazyCosts);
  }

  async scorePaired(tokens: ArrayLike<number>): Promise<PairedLogits> {
    checkTokens(tokens, this.vocabSize);
    const n = tokens.length * this.vocabSize;
    const { logits } = await this.run(Array.from(tokens), 2, 0, undefined, [0, 1], true);
    return { base: logits.slice(0, n), adapted: logits.slice(n, 2 * n) };
  }
}
