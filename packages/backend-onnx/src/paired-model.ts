import {
  checkTokens,
  LazyPairedRowSession,
  type LazyPairedSession,
  type PairedCausalLM,
  type PairedLogits,
  PairedRowSession,
  type PairedSession,
} from '@svdecode/core';
import { OnnxCausalLM } from './onnx-model.js';

/**
 * A model exported with `paired: true`: its `adapter_scale` input scales the adapter per batch row,
 * so base (scale 0) and adapted (scale 1) logits come from one run of two rows.
 */
export class PairedOnnxCausalLM extends OnnxCausalLM implements PairedCausalLM {
  createPairedSession(): PairedSession {
    return new PairedRowSession(this.runner);
  }

  /**
   * Lazy base decoding: eager steps run base and adapted rows together (as `createPairedSession`);
   * adapted-only steps run one row, and the base row catches up in one run when a step needs it.
   */
  createLazyPairedSession(): LazyPairedSession {
    return new LazyPairedRowSession(this.runner);
  }

  async scorePaired(tokens: ArrayLike<number>): Promise<PairedLogits> {
    checkTokens(tokens, this.vocabSize);
    const n = tokens.length * this.vocabSize;
    const { logits } = await this.runner.forward(Array.from(tokens), 2, 0, undefined, [0, 1], {
      keepAll: true,
    });
    return { base: logits.slice(0, n), adapted: logits.slice(n, 2 * n) };
  }
}
