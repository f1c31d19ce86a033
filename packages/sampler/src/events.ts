import { logSumExp } from '@svdecode/kl-gradient';
import { topIdsSorted } from './select.js';

export interface TokenProb {
  token: number;
  prob: number;
}

/** One generated token. */
export interface StepEvent {
  step: number;
  token: number;
  /** log-probability of the token under the distribution it was chosen from (after every stage). */
  logprob: number;
  /** Text this token added (when a tokenizer was given). */
  text?: string;
  /** Top tokens of the adapted model (before steering) and of the final distribution (after steering and the other stages). */
  top?: { before: TokenProb[]; after: TokenProb[] };
  /** KL(p_adapted || p_base) at this step, when steering and the base model ran. */
  kl?: number;
  /** Whether the base model's logits were computed for this step (steering only; false: lazy base skipped it). */
  baseRan?: boolean;
}

export type FinishReason = 'length' | 'eos' | 'stop' | 'aborted';

export interface GenerationResult {
  /** Generated token ids (an emitted EOS included). */
  tokens: number[];
  /** Decoded generated text, cut before a stop string (when a tokenizer was given). */
  text?: string;
  finishReason: FinishReason;
  /** Sum of the tokens' log-probabilities (beam search: the winning hypothesis' raw score). */
  logprob: number;
  /** The steering strength used, or null when steering was off. */
  mu: number | null;
  strategy: 'greedy' | 'sample' | 'beam';
  /** Share of steps on which lazy base decoding skipped the base model (null when not steering). */
  baseSkipped: number | null;
}

/** Reusable scratch for top-token lists. */
export class TopTokens {
  #ids = new Uint32Array(0);
  #scratch = new Float32Array(0);

  list(logits: Float32Array, k: number): TokenProb[] {
    if (k === 0) return [];
    if (this.#ids.length < k) this.#ids = new Uint32Array(k);
    if (this.#scratch.length !== logits.length) this.#scratch = new Float32Array(logits.length);
    const lse = logSumExp(logits);
    const n = topIdsSorted(logits, k, this.#ids, this.#scratch);
    const out: TokenProb[] = [];
    for (let j = 0; j < n; j++) {
      const token = this.#ids[j]!;
      out.push({ token, prob: Math.exp(logits[token]! - lse) });
    }
    return out;
  }
}
