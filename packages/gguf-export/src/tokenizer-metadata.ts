import { join } from 'node:path';
import { SvdecodeError } from '@svdecode/core';
import { readJsonFile } from '@svdecode/hf-io';
import { type GgufValue, gguf } from './gguf-file.js';

interface TokenizerJson {
  model?: { type?: string; vocab?: Record<string, number>; merges?: Array<string | [string, string]> };
  pre_tokenizer?: { type?: string; pretokenizers?: Array<{ type?: string }> } | null;
  added_tokens?: Array<{ id: number; content: string; special?: boolean }>;
  post_processor?: PostProcessor | null;
}

interface PostProcessor {
  type?: string;
  processors?: PostProcessor[];
  single?: Array<{ SpecialToken?: { id: string } }>;
  special_tokens?: Record<string, { ids?: number[] }>;
}

/**
 * Whether `encode(text)` puts `bos` first: a TemplateProcessing post-processor (alone or in a
 * Sequence) whose single-sequence template starts with it. llama.cpp reads the same rule from
 * `tokenizer.ggml.add_bos_token`, so both tokenizers of an export encode prompts alike.
 */
function addsBos(post: PostProcessor | null | undefined, bos: number | undefined): boolean {
  if (!post || bos === undefined) return false;
  if (post.type === 'Sequence') return (post.processors ?? []).some((p) => addsBos(p, bos));
  if (post.type !== 'TemplateProcessing') return false;
  const first = post.single?.[0]?.SpecialToken?.id;
  return first !== undefined && post.special_tokens?.[first]?.ids?.[0] === bos;
}

// llama.cpp's token types
const NORMAL = 1;
const CONTROL = 3;
const USER_DEFINED = 4;

function unsupported(file: string, why: string): never {
  throw new SvdecodeError('GGUF_UNSUPPORTED', `${file}: ${why}`, {
    hint: 'GGUF export supports byte-level BPE tokenizers (GPT-2 style, as Llama 3 and Qwen2 use).',
    details: { file },
  });
}

/**
 * The `tokenizer.ggml.*` metadata of a byte-level BPE `tokenizer.json` (llama.cpp's `gpt2` model):
 * every token by id, its type (special added tokens are control tokens), and the merges. llama.cpp
 * needs them to load the model; svdecode passes token ids, so its own tokenizer stays the one used.
 */
export async function tokenizerMetadata(
  dir: string,
  vocabSize: number,
  special: { bos?: number; eos?: number; pad?: number },
): Promise<Array<[string, GgufValue]>> {
  const file = join(dir, 'tokenizer.json');
  const json = (await readJsonFile(file)) as TokenizerJson;
  if (json.model?.type !== 'BPE' || !json.model.vocab)
    unsupported(file, `a ${json.model?.type ?? 'missing'} model`);
  const pre = json.pre_tokenizer;
  const byteLevel =
    pre?.type === 'ByteLevel' ||
    (pre?.type === 'Sequence' && pre.pretokenizers?.some((p) => p.type === 'ByteLevel'));
  if (!byteLevel) unsupported(file, 'not a byte-level BPE (no ByteLevel pre-tokenizer)');
  // a lone ByteLevel pre-tokenizer with its regex is GPT-2's; other splits get llama.cpp's default
  const preName =
    pre?.type === 'ByteLevel' && (pre as { use_regex?: boolean }).use_regex !== false ? 'gpt-2' : 'default';
  const tokens: string[] = new Array(vocabSize);
  const types = new Int32Array(vocabSize).fill(NORMAL);
  for (const [text, id] of Object.entries(json.model.vocab)) if (id < vocabSize) tokens[id] = text;
  for (const added of json.added_tokens ?? []) {
    if (added.id >= vocabSize) continue;
    tokens[added.id] = added.content;
    types[added.id] = added.special ? CONTROL : USER_DEFINED;
  }
  // ids the tokenizer leaves unnamed (models pad their vocabulary): llama.cpp wants a unique text each
  for (let id = 0; id < vocabSize; id++) {
    if (tokens[id] === undefined) {
      tokens[id] = `[PAD${id}]`;
      types[id] = USER_DEFINED;
    }
  }
  const merges = (json.model.merges ?? []).map((m) => (typeof m === 'string' ? m : `${m[0]} ${m[1]}`));
  const out: Array<[string, GgufValue]> = [
    ['tokenizer.ggml.model', gguf.string('gpt2')],
    ['tokenizer.ggml.pre', gguf.string(preName)],
    ['tokenizer.ggml.tokens', gguf.strings(tokens)],
    ['tokenizer.ggml.token_type', gguf.i32s(types)],
    ['tokenizer.ggml.merges', gguf.strings(merges)],
  ];
  if (special.bos !== undefined) out.push(['tokenizer.ggml.bos_token_id', gguf.u32(special.bos)]);
  if (special.eos !== undefined) out.push(['tokenizer.ggml.eos_token_id', gguf.u32(special.eos)]);
  if (special.pad !== undefined) out.push(['tokenizer.ggml.padding_token_id', gguf.u32(special.pad)]);
  out.push(['tokenizer.ggml.add_bos_token', gguf.bool(addsBos(json.post_processor, special.bos))]);
  return out;
}
