import { join } from 'node:path';
import { Tokenizer as HfTokenizerImpl } from '@huggingface/tokenizers';
import { SvdecodeError, type Tokenizer } from '@svdecode/core';
import { fileExists, readJsonFile } from './json-file.js';

/** A tokenizer.json loaded through @huggingface/tokenizers (offline, pure JS), behind core's `Tokenizer`. */
export class HfTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bosTokenId: number | undefined;
  readonly eosTokenIds: readonly number[];
  readonly padTokenId: number | undefined;
  readonly #impl: HfTokenizerImpl;

  constructor(
    tokenizerJson: unknown,
    tokenizerConfig: Record<string, unknown> = {},
    source = 'tokenizer.json',
  ) {
    try {
      this.#impl = new HfTokenizerImpl(tokenizerJson as object, tokenizerConfig);
    } catch (error) {
      throw new SvdecodeError('TOKENIZER_INVALID', `${source}: ${(error as Error).message}`, {
        details: { file: source },
        cause: error,
      });
    }
    let maxId = -1;
    for (const id of this.#impl.get_vocab(true).values()) if (id > maxId) maxId = id;
    this.vocabSize = maxId + 1;
    const special = (key: string): number | undefined => {
      const value = tokenizerConfig[key];
      const text = typeof value === 'string' ? value : (value as { content?: unknown } | null)?.content;
      return typeof text === 'string' ? this.#impl.token_to_id(text) : undefined;
    };
    this.bosTokenId = special('bos_token');
    const eos = special('eos_token');
    this.eosTokenIds = eos === undefined ? [] : [eos];
    this.padTokenId = special('pad_token');
  }

  encode(text: string, options: { addSpecialTokens?: boolean } = {}): number[] {
    return this.#impl.encode(text, { add_special_tokens: options.addSpecialTokens ?? true }).ids;
  }

  decode(ids: ArrayLike<number>, options: { skipSpecialTokens?: boolean } = {}): string {
    if (ids.length === 0) return '';
    return this.#impl.decode(Array.from(ids), { skip_special_tokens: options.skipSpecialTokens ?? false });
  }

  tokenToId(token: string): number | undefined {
    return this.#impl.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.#impl.id_to_token(id);
  }
}

/** Loads `tokenizer.json` (+ `tokenizer_config.json` when present) from a directory. */
export async function loadTokenizer(dir: string): Promise<HfTokenizer> {
  const path = join(dir, 'tokenizer.json');
  const json = await readJsonFile(path);
  const configPath = join(dir, 'tokenizer_config.json');
  const config = (await fileExists(configPath))
    ? ((await readJsonFile(configPath)) as Record<string, unknown>)
    : {};
  return new HfTokenizer(json, config, path);
}
