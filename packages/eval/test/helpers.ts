import { join } from 'node:path';
import { loadTfjsModel } from '@svdecode/backend-tfjs';
import type { Tokenizer } from '@svdecode/core';
import { loadAdapter } from '@svdecode/peft-tfjs';
import { HF_DIR } from '@svdecode/testkit';

process.env.SVDECODE_QUIET = '1';

/** One character per token, inside the fixture model's 96-token vocabulary; `encode` puts BOS first unless told not to, as Llama tokenizers do. */
export const charTokenizer: Tokenizer = {
  vocabSize: 96,
  bosTokenId: 1,
  eosTokenIds: [2],
  padTokenId: undefined,
  encode: (text, options) => [
    ...(options?.addSpecialTokens === false ? [] : [1]),
    ...Array.from(text, (c) => (c.charCodeAt(0) % 90) + 3),
  ],
  decode: (ids) => Array.from(ids, (id) => String.fromCharCode(id + 87)).join(''),
  tokenToId: () => undefined,
  idToToken: () => undefined,
};

/** The fixture Llama (saved by transformers) and its LoRA adapter (saved by peft). */
export async function loadFixturePair() {
  const base = await loadTfjsModel(join(HF_DIR, 'llama-gqa'));
  const adapted = await loadAdapter(base, join(HF_DIR, 'adapters', 'lora'));
  return { base, adapted };
}
