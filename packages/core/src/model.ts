/** What a loaded causal language model says about itself. */
export interface ModelInfo {
  /** A human-readable name: a directory name, a hub id, `tiny`... */
  name: string;
  /** The backend that runs it (`tfjs-wasm`, `onnxruntime-node`, `toy`...). */
  backend: string;
  vocabSize: number;
  /** Longest context the model supports, when known. */
  maxPositions?: number;
  /** Architecture family (`llama`, `qwen2`...), when known. */
  architecture?: string;
  /** A stable content fingerprint of the weights (steering files refer to it), when known. */
  fingerprint?: string;
}

/**
 * An incremental decoding context. It owns its KV cache: `append` feeds a prompt or one token and
 * returns the logits of the last position; `fork` copies the session (beam search); `dispose`
 * frees what it holds. Logits returned by `append` belong to the caller: a session never writes
 * into an array it has returned.
 */
export interface DecodeSession {
  readonly vocabSize: number;
  /** Tokens consumed so far. */
  readonly length: number;
  readonly disposed: boolean;
  /**
   * False when `append` takes several tokens only on an empty session: the backend cannot prefill
   * into an existing cache. Lazy base decoding needs that (the base model catches up on several
   * tokens at once); absent means true.
   */
  readonly prefillsIntoCache?: boolean;
  append(tokens: ArrayLike<number>): Promise<Float32Array>;
  fork(): DecodeSession;
  dispose(): void;
}

/** A causal LM behind any backend. */
export interface CausalLM {
  readonly info: ModelInfo;
  readonly vocabSize: number;
  createSession(): DecodeSession;
  /**
   * Teacher forcing: the logits of every position of `tokens`, row-major
   * (`tokens.length * vocabSize` values; row `t` predicts token `t + 1`).
   */
  score(tokens: ArrayLike<number>): Promise<Float32Array>;
  /** Frees the weights. Sessions created before must not be used after. */
  dispose?(): void;
}
