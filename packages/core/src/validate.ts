import { SvdecodeError } from './errors.js';

/** Throws BAD_TOKENS / TOKEN_OUT_OF_RANGE unless `tokens` is a non-empty list of ids in [0, vocabSize). */
export function checkTokens(tokens: ArrayLike<number>, vocabSize: number): void {
  if (tokens == null || typeof tokens.length !== 'number' || tokens.length === 0) {
    throw new SvdecodeError('BAD_TOKENS', 'expected a non-empty list of token ids');
  }
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (!Number.isInteger(t)) {
      throw new SvdecodeError('BAD_TOKENS', `token at index ${i} is not an integer (${String(t)})`, {
        details: { index: i, token: t },
      });
    }
    if (t < 0 || t >= vocabSize) {
      throw new SvdecodeError('TOKEN_OUT_OF_RANGE', `token ${t} at index ${i} is outside [0, ${vocabSize})`, {
        details: { index: i, token: t, vocabSize },
      });
    }
  }
}

/** Throws NON_FINITE_LOGITS when any entry is NaN (infinities are legal: banned tokens are -Infinity). */
export function checkNoNaN(logits: ArrayLike<number>, what = 'logits'): void {
  for (let i = 0; i < logits.length; i++) {
    if (Number.isNaN(logits[i])) {
      throw new SvdecodeError('NON_FINITE_LOGITS', `${what} contain NaN at index ${i}`, {
        details: { index: i, what },
      });
    }
  }
}

/** Throws VOCAB_MISMATCH unless both lengths are equal. */
export function checkSameVocab(a: number, b: number, what = 'base and adapted logits'): void {
  if (a !== b) {
    throw new SvdecodeError('VOCAB_MISMATCH', `${what} have different vocabulary sizes (${a} vs ${b})`, {
      details: { sizes: [a, b] },
    });
  }
}
