import type { Tokenizer } from '@svdecode/core';
import type { LlamaModel, Token } from 'node-llama-cpp';

/**
 * llama.cpp's own tokenizer of a GGUF model behind the core `Tokenizer` interface, for GGUF files
 * that come without a tokenizer.json. (GGUF files written by `exportGguf` tokenize as the
 * tokenizer.json they came from: byte-level BPE with the GPT-2 pre-tokenizer.)
 */
export class LlamaCppTokenizer implements Tokenizer {
  readonly bosTokenId: number | undefined;
  readonly eosTokenIds: readonly number[];
  readonly padTokenId: number | undefined;
  #byText: Map<string, number> | undefined;

  constructor(
    private readonly model: LlamaModel,
    readonly vocabSize: number,
  ) {
    this.bosTokenId = model.tokens.bos ?? undefined;
    this.eosTokenIds = [model.tokens.eos, model.tokens.eot].filter((t): t is Token => t !== null);
    const pad = (model.fileInfo.metadata.tokenizer?.ggml as { padding_token_id?: number } | undefined)
      ?.padding_token_id;
    this.padTokenId = typeof pad === 'number' ? pad : undefined;
  }

  encode(text: string, options: { addSpecialTokens?: boolean } = {}): number[] {
    const ids = this.model.tokenize(text, false) as number[];
    return options.addSpecialTokens !== false &&
      this.model.tokens.shouldPrependBosToken &&
      this.bosTokenId !== undefined
      ? [this.bosTokenId, ...ids]
      : ids;
  }

  decode(ids: ArrayLike<number>, options: { skipSpecialTokens?: boolean } = {}): string {
    return this.model.detokenize(Array.from(ids) as Token[], options.skipSpecialTokens !== true);
  }

  idToToken(id: number): string | undefined {
    return id >= 0 && id < this.vocabSize ? this.model.detokenize([id as Token], true) : undefined;
  }

  tokenToId(token: string): number | undefined {
    if (!this.#byText) {
      this.#byText = new Map();
      for (let id = 0; id < this.vocabSize; id++)
        this.#byText.set(this.model.detokenize([id as Token], true), id);
    }
    return this.#byText.get(token);
  }
}
