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
