import { pairSessions, type Tokenizer } from '@svdecode/core';
import { createToyModel, FunctionModel } from '@svdecode/core/test';

export const V = 40;

/** Base and adapted toy models: the adapted one is the base plus a seeded perturbation. */
export function toyPair(seed = 1, vocabSize = V) {
  const base = createToyModel({ vocabSize, seed, scale: 3 });
  const shift = createToyModel({ vocabSize, seed: seed + 1000, scale: 1.5 });
  const adapted = new FunctionModel({
    vocabSize,
    name: 'adapted',
    logits: (ctx) => {
      const b = base.logitsFor(ctx);
      const s = shift.logitsFor(ctx);
      return b.map((v, i) => v + s[i]!);
    },
  });
  return {
    base,
    adapted,
    paired: () => pairSessions(base.createSession(), adapted.createSession()),
    live: () => base.liveSessions + adapted.liveSessions,
  };
}

/** One character per token id: 'a' + id; id 0 is "<eos>" (special, skipped when decoding). */
export const charTokenizer: Tokenizer = {
  vocabSize: V,
  bosTokenId: undefined,
  eosTokenIds: [0],
  padTokenId: undefined,
  encode: (text) => Array.from(text, (c) => c.charCodeAt(0) - 96),
  decode: (ids, options) =>
    Array.from(ids)
      .filter((id) => !(options?.skipSpecialTokens && id === 0))
      .map((id) => String.fromCharCode(96 + id))
      .join(''),
  tokenToId: (t) => t.charCodeAt(0) - 96,
  idToToken: (id) => String.fromCharCode(96 + id),
};

/** A model defined by a table: next-token probabilities for each context (as a string key). */
export function tableModel(
  vocabSize: number,
  table: Record<string, Record<number, number>>,
  fallback: Record<number, number>,
) {
  return new FunctionModel({
    vocabSize,
    name: 'table',
    logits: (ctx) => {
      const dist = table[ctx.join(',')] ?? fallback;
      const out = new Float32Array(vocabSize).fill(-30);
      for (const [id, p] of Object.entries(dist)) out[Number(id)] = Math.log(p);
      return out;
    },
  });
}
