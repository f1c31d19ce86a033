import type { Tokenizer } from '@svdecode/core';

/** A prompt as token ids: the BOS token (when the tokenizer has one), then the text without special tokens. */
export function encodePrompt(tokenizer: Tokenizer, text: string): number[] {
  const ids = tokenizer.encode(text, { addSpecialTokens: false });
  return tokenizer.bosTokenId === undefined ? ids : [tokenizer.bosTokenId, ...ids];
}
