import type { ForwardHooks, TfjsCausalLM } from '@svdecode/backend-tfjs';
import type { Tokenizer } from '@svdecode/core';
import type { LinearDelta } from '@svdecode/hf-io';
import type * as tf from '@tensorflow/tfjs-core';

/** What a prompt method adds in front of the real tokens. */
export type AdapterPrefix =
  /** Virtual token embeddings [numVirtualTokens, hidden] run through the model (prompt tuning). */
  | { kind: 'embeddings'; embeds: tf.Tensor2D }
  /** Per-layer keys and values [kvHeads, numVirtualTokens, headDim] placed in the cache (prefix tuning / P-tuning v2). */
  | { kind: 'kv'; layers: Array<{ k: tf.Tensor3D; v: tf.Tensor3D }> };

/** A live adapter attached to one model. */
export interface Adapter {
  readonly type: string;
  /** The adapter's config as written to adapter_config.json (PEFT keys). */
  readonly config: Record<string, unknown>;
  /** Trainable parameters. */
  readonly variables: readonly tf.Variable[];
  /** Weight-sharing adapters (LoRA, IA3): forward hooks that honour the per-row scale. */
  readonly hooks?: ForwardHooks;
  /** Virtual tokens in front of the input (prompt methods). Computed from the variables (inside gradient tapes too). */
  prefix?(): AdapterPrefix;
  readonly numVirtualTokens: number;
  /**
   * The change this adapter makes to each linear module it adapts, by module path (PEFT's
   * `get_delta_weight`): what merging and ONNX export read. Absent: the adapter changes something
   * other than linear weights (prompt methods) and cannot be merged.
   */
  linearDelta?(): Promise<ReadonlyMap<string, LinearDelta>>;
  /** Dropout and similar train-only behaviour. */
  training: boolean;
  /** Tensors to save, PEFT names (without the adapter name) -> tensor. The caller disposes them. */
  stateDict(): Map<string, tf.Tensor>;
  /** Loads saved tensors; names and shapes must match (the offending tensor is named otherwise). */
  loadStateDict(
    tensors: ReadonlyMap<string, { shape: number[]; values: Float32Array }>,
    source: string,
  ): void;
  dispose(): void;
}

export interface AdapterContext {
  model: TfjsCausalLM;
  /** Seed of the initialisation (default 0): the same seed gives the same adapter. */
  seed: number;
  tokenizer?: Tokenizer;
}

/** A registered adapter type: `type` is PEFT's `peft_type` (or any string for custom types). */
export interface AdapterType<C extends Record<string, unknown> = Record<string, unknown>> {
  readonly type: string;
  /** Validates a config (adapter_config.json), filling defaults; unknown keys are ignored. */
  parseConfig(json: Record<string, unknown>, source: string): C;
  create(config: C, context: AdapterContext): Adapter;
}
