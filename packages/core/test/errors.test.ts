import { describe, expect, it } from 'vitest';
import { ERROR_CODES, isSvdecodeError, SvdecodeError } from '../src/errors.js';
import { checkNoNaN, checkSameVocab, checkTokens } from '../src/validate.js';

describe('SvdecodeError', () => {
  it('carries a stable code, its kind, the default hint and details', () => {
    const e = new SvdecodeError('VOCAB_MISMATCH', 'sizes differ', { details: { sizes: [3, 4] } });
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe('VOCAB_MISMATCH');
    expect(e.kind).toBe('input');
    expect(e.hint).toBe(ERROR_CODES.VOCAB_MISMATCH.hint);
    expect(e.format()).toBe(`VOCAB_MISMATCH: sizes differ\n  hint: ${ERROR_CODES.VOCAB_MISMATCH.hint}`);
    expect(JSON.parse(JSON.stringify(e))).toEqual({
      code: 'VOCAB_MISMATCH',
      message: 'sizes differ',
      hint: ERROR_CODES.VOCAB_MISMATCH.hint,
      details: { sizes: [3, 4] },
    });
    expect(isSvdecodeError(e, 'VOCAB_MISMATCH')).toBe(true);
    expect(isSvdecodeError(e, 'BAD_JSON')).toBe(false);
    expect(isSvdecodeError(new Error('x'))).toBe(false);
  });

  it('lets a caller override the hint', () => {
    expect(new SvdecodeError('BAD_ARGUMENT', 'x', { hint: 'alpha must be in (0, 1]' }).hint).toBe(
      'alpha must be in (0, 1]',
    );
  });

  it('documents every code with a non-empty hint', () => {
    for (const [code, entry] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^[A-Z0-9_]+$/);
      expect(entry.hint.length).toBeGreaterThan(10);
    }
  });
});

describe('input checks', () => {
  it('checkTokens accepts ids in range and names the bad index', () => {
    expect(() => checkTokens([0, 4, 9], 10)).not.toThrow();
    expect(() => checkTokens(Int32Array.from([1, 2]), 3)).not.toThrow();
    const codeOf = (f: () => void) => {
      try {
        f();
      } catch (e) {
        return (e as SvdecodeError).code;
      }
      return 'none';
    };
    expect(codeOf(() => checkTokens([], 10))).toBe('BAD_TOKENS');
    expect(codeOf(() => checkTokens([0, Number.NaN], 10))).toBe('BAD_TOKENS');
    expect(codeOf(() => checkTokens([0, 10], 10))).toBe('TOKEN_OUT_OF_RANGE');
    expect(() => checkTokens([0, 10], 10)).toThrow(/index 1/);
  });

  it('checkNoNaN allows infinities but not NaN', () => {
    expect(() => checkNoNaN([0, Number.NEGATIVE_INFINITY, 1e30])).not.toThrow();
    expect(() => checkNoNaN([0, Number.NaN])).toThrow(/NaN at index 1/);
  });

  it('checkSameVocab throws VOCAB_MISMATCH', () => {
    expect(() => checkSameVocab(3, 3)).not.toThrow();
    expect(() => checkSameVocab(3, 4)).toThrow(SvdecodeError);
  });
});

describe('error code documentation', () => {
  it('the README table lists exactly the codes in ERROR_CODES', async () => {
    const { readFile } = await import('node:fs/promises');
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const documented = [...readme.matchAll(/^\| `([A-Z0-9_]+)`\s*\|/gm)].map((m) => m[1]);
    expect(documented).toEqual(Object.keys(ERROR_CODES));
  });
});
