import {
  type DecodeSession,
  LazyBaseCosts,
  type LazyPairedSession,
  lazyPairSessions,
  type ModelInfo,
  type PairedCausalLM,
  type PairedLogits,
  type PairedSession,
  pairSessions,
} from '@svdecode/core';
import type { LlamaCppCausalLM } from './llama-model.js';

/**
 * Base and adapted model on llama.cpp: one loaded GGUF model, two kinds of context (the adapted ones
 * with the GGUF LoRA adapter at its scale). A paired step evaluates both contexts at once: llama.cpp
 * runs each on its own thread, so on two cores a steered step costs about one plain step.
 */
export class LlamaCppPairedModel implements PairedCausalLM {
  readonly info: ModelInfo;
  readonly vocabSize: number;
  /** Lazy decoding's running cost estimates, shared by this model's lazy sessions. */
  readonly lazyCosts = new LazyBaseCosts();

  constructor(readonly model: LlamaCppCausalLM) {
    this.info = { ...model.info, name: `${model.info.name}+lora` };
    this.vocabSize = model.vocabSize;
  }

  get tokenizer() {
    return this.model.tokenizer;
  }

  get liveSessions(): number {
    return this.model.liveSessions;
  }

  createSession(): DecodeSession {
    return this.model.createSession();
  }

  score(tokens: ArrayLike<number>): Promise<Float32Array> {
    return this.model.score(tokens);
  }

  createPairedSession(): PairedSession {
    return pairSessions(this.model.createBaseSession(), this.model.createSession());
  }

  createLazyPairedSession(): LazyPairedSession {
    return lazyPairSessions(this.model.createBaseSession(), this.model.createSession(), this.lazyCosts);
  }

  async scorePaired(tokens: ArrayLike<number>): Promise<PairedLogits> {
    const [base, adapted] = await Promise.all([this.model.scoreBase(tokens), this.model.score(tokens)]);
    return { base, adapted };
  }

  dispose(): void {
    this.model.dispose();
  }
}
