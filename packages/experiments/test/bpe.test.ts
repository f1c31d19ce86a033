import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { HfTokenizer } from '@svdecode/hf-io';
import { describe, expect, it } from 'vitest';
import { trainByteLevelBpe } from '../src/data/build.js';

const CORPUS = fileURLToPath(new URL('../../tiny/data/corpus.jsonl', import.meta.url));

describe('byte-level BPE trainer', async () => {
  const lines = (await readFile(CORPUS, 'utf8'))
    .trim()
    .split('\n')
    .slice(0, 1500)
    .map((line) => JSON.parse(line) as string);
  const json = trainByteLevelBpe(lines, { vocabSize: 600, specialTokens: ['<pad>', '<s>', '</s>'] });
  const withBos = trainByteLevelBpe(lines, {
    vocabSize: 600,
    specialTokens: ['<pad>', '<s>', '</s>'],
    bosToken: '<s>',
  });

  it('with bosToken, encode(text) puts BOS first as Llama tokenizers do; without, it does not', () => {
    const config = { bos_token: '<s>', eos_token: '</s>', pad_token: '<pad>' };
    const [plain, llama] = [new HfTokenizer(json, config), new HfTokenizer(withBos, config)];
    const text = 'The capital of France is Paris.';
    const bare = plain.encode(text, { addSpecialTokens: false });
    expect(plain.encode(text)).toEqual(bare);
    expect(llama.encode(text)).toEqual([1, ...bare]);
    expect(llama.encode(text, { addSpecialTokens: false })).toEqual(bare);
    expect(() =>
      trainByteLevelBpe(lines.slice(0, 10), { vocabSize: 300, specialTokens: ['<s>'], bosToken: '<bos>' }),
    ).toThrow();
  });

  it('writes a tokenizer.json that @huggingface/tokenizers loads and that round-trips any text', () => {
    const tokenizer = new HfTokenizer(json, { bos_token: '<s>', eos_token: '</s>', pad_token: '<pad>' });
    expect(tokenizer.vocabSize).toBe(600);
    expect([tokenizer.padTokenId, tokenizer.bosTokenId, tokenizer.eosTokenIds[0]]).toEqual([0, 1, 2]);
    for (const text of [
      'The capital of France is Paris.',
      'Ünïcödé – 🙂 and tabs\tand\nnewlines',
      'Please choose the correct answer',
    ]) {
      expect(tokenizer.decode(tokenizer.encode(text, { addSpecialTokens: false }))).toBe(text);
    }
    // merges learnt from the corpus make frequent words short
    expect(tokenizer.encode(' capital', { addSpecialTokens: false }).length).toBe(1);
    expect(tokenizer.encode(' zyxwvut', { addSpecialTokens: false }).length).toBeGreaterThan(3);
  });

  it('is deterministic', () => {
    expect(
      JSON.stringify(trainByteLevelBpe(lines, { vocabSize: 600, specialTokens: ['<pad>', '<s>', '</s>'] })),
    ).toBe(JSON.stringify(json));
  });
});
