/**
 * A byte-level BPE trainer that writes a Hugging Face `tokenizer.json` (GPT-2 style: the ByteLevel
 * pre-tokenizer and decoder, merges as pairs) — the format `@huggingface/tokenizers` and
 * transformers.js load. The npm bindings of Hugging Face tokenizers ship no Linux binary in this
 * registry, so training is done here; encoding always goes through the real library.
 */

/** GPT-2's reversible byte -> printable character table. */
export function byteToUnicode(): string[] {
  const keep: number[] = [];
  for (let b = 33; b <= 126; b++) keep.push(b);
  for (let b = 161; b <= 172; b++) keep.push(b);
  for (let b = 174; b <= 255; b++) keep.push(b);
  const table = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) table[b] = String.fromCharCode(keep.includes(b) ? b : 256 + extra++);
  return table;
}

/** The ByteLevel pre-tokenizer's split (the GPT-2 pattern). */
const PRE_TOKEN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

export interface BpeOptions {
  vocabSize: number;
  specialTokens: string[];
  /** Ignore pre-tokens seen fewer times (default 2). */
  minFrequency?: number;
  /**
   * A special token that `encode(text)` puts first (a TemplateProcessing post-processor, as Hugging
   * Face Llama tokenizers add BOS); `encode(text, { addSpecialTokens: false })` stays bare text.
   */
  bosToken?: string;
}

/** Trains merges on the lines and returns the tokenizer.json object. Deterministic: ties go to the lexicographically smaller pair. */
export function trainByteLevelBpe(lines: readonly string[], options: BpeOptions): Record<string, unknown> {
  const bytes = byteToUnicode();
  const encoder = new TextEncoder();
  const counts = new Map<string, number>();
  for (const line of lines) {
    for (const piece of line.match(PRE_TOKEN) ?? []) {
      const mapped = Array.from(encoder.encode(piece), (b) => bytes[b]!).join('');
      counts.set(mapped, (counts.get(mapped) ?? 0) + 1);
    }
  }
  const words = [...counts.entries()]
    .filter(([, n]) => n >= (options.minFrequency ?? 2))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([w, n]) => ({ symbols: Array.from(w), count: n }));

  const vocab = new Map<string, number>();
  for (const t of options.specialTokens) vocab.set(t, vocab.size);
  for (const c of [...bytes].sort()) if (!vocab.has(c)) vocab.set(c, vocab.size);
  const merges: Array<[string, string]> = [];
  while (vocab.size < options.vocabSize) {
    const pairs = new Map<string, number>();
    for (const w of words) {
      for (let i = 0; i < w.symbols.length - 1; i++) {
        const key = `${w.symbols[i]}\u0000${w.symbols[i + 1]}`;
        pairs.set(key, (pairs.get(key) ?? 0) + w.count);
      }
    }
    let best: string | undefined;
    let bestCount = 0;
    for (const [key, n] of pairs) {
      if (n > bestCount || (n === bestCount && best !== undefined && key < best)) {
        best = key;
        bestCount = n;
      }
    }
    if (!best || bestCount < 2) break;
    const [a, b] = best.split('\u0000') as [string, string];
    merges.push([a, b]);
    const merged = a + b;
    if (!vocab.has(merged)) vocab.set(merged, vocab.size);
    for (const w of words) {
      const s = w.symbols;
      for (let i = 0; i < s.length - 1; i++) {
        if (s[i] === a && s[i + 1] === b) s.splice(i, 2, merged);
      }
    }
  }
  const byteLevel = { add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: options.specialTokens.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', ...byteLevel },
    post_processor: options.bosToken
      ? {
          type: 'Sequence',
          processors: [
            { type: 'ByteLevel', ...byteLevel },
            bosTemplate(options.bosToken, options.specialTokens),
          ],
        }
      : { type: 'ByteLevel', ...byteLevel },
    decoder: { type: 'ByteLevel', ...byteLevel },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(vocab),
      merges,
    },
  };
}

/** The post-processor that puts `bos` before a sequence (and before each of a pair), as Llama's does. */
function bosTemplate(bos: string, specialTokens: readonly string[]): Record<string, unknown> {
  const id = specialTokens.indexOf(bos);
  if (id < 0) throw new Error(`bosToken ${bos} is not one of the special tokens`);
  const special = (typeId: number) => ({ SpecialToken: { id: bos, type_id: typeId } });
  const sequence = (name: string, typeId: number) => ({ Sequence: { id: name, type_id: typeId } });
  return {
    type: 'TemplateProcessing',
    single: [special(0), sequence('A', 0)],
    pair: [special(0), sequence('A', 0), special(1), sequence('B', 1)],
    special_tokens: { [bos]: { id: bos, ids: [id], tokens: [bos] } },
  };
}
