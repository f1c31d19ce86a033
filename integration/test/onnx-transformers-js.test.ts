// Peer check: transformers.js loads our exported directory offline, and its greedy generate()
// returns exactly the token ids our ONNX backend's greedy decoding returns.
import { join } from 'node:path';
import { AutoModelForCausalLM, env, Tensor } from '@huggingface/transformers';
import { loadOnnxModel, type OnnxCausalLM } from '@svdecode/backend-onnx';
import { randomLlama } from '@svdecode/backend-tfjs';
import { loadTokenizer } from '@svdecode/hf-io';
import { generateAll } from '@svdecode/sampler';
import { HF_DIR } from '@svdecode/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportModel, tempDir } from './helpers.js';

const PROMPTS = [
  'The capital of France is',
  'Please choose the correct answer to the question:',
  'Tokyo is the capital of',
  'the correct answer is',
  'Paris is',
  'Ünïcödé text',
];

/** transformers.js's greedy generate() from token ids: the new token ids. */
async function peerGreedy(
  peer: Awaited<ReturnType<typeof AutoModelForCausalLM.from_pretrained>>,
  ids: number[],
  newTokens: number,
): Promise<number[]> {
  const input = new Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]);
  const mask = new Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]);
  const out = (await peer.generate({
    input_ids: input,
    attention_mask: mask,
    max_new_tokens: newTokens,
    do_sample: false,
  })) as Tensor;
  return Array.from(out.data as BigInt64Array, Number).slice(ids.length);
}

/** A random model sized to the fixture tokenizer (350 tokens), weights large enough for a non-degenerate argmax. */
const PEER_MODEL = {
  vocabSize: 350,
  hiddenSize: 64,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
  intermediateSize: 128,
  std: 0.15,
  seed: 11,
};

let root: string;
let ours: OnnxCausalLM;

beforeAll(async () => {
  const model = await randomLlama(PEER_MODEL);
  root = await tempDir();
  await exportModel(model, join(root, 'peer-model'), { tokenizerDir: join(HF_DIR, 'tokenizer') });
  model.dispose();
  ours = await loadOnnxModel(join(root, 'peer-model'));
}, 120_000);

describe('transformers.js as the peer', () => {
  it('loads the export offline and its greedy generate() equals ours on every prompt (32 new tokens)', async () => {
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = root;
    const peer = await AutoModelForCausalLM.from_pretrained('peer-model', { dtype: 'fp32', device: 'cpu' });
    const tokenizer = await loadTokenizer(join(root, 'peer-model'));
    let compared = 0;
    for (const prompt of PROMPTS) {
      const ids = tokenizer.encode(prompt);
      const theirs = await peerGreedy(peer, ids, 32);
      const mine = await generateAll(ours.createSession(), ids, { maxNewTokens: 32, eosTokenIds: [2] });
      expect(mine.tokens).toEqual(theirs);
      expect(theirs.length).toBeGreaterThan(0);
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(5);
    await peer.dispose();
  }, 120_000);
});

describe('transformers.js on our quantized exports', () => {
  it.each(['q8', 'q4'] as const)(
    'loads the %s graph by its dtype option, and its greedy generate() equals ours on the same file',
    async (dtype) => {
      const model = await randomLlama(PEER_MODEL);
      const name = `peer-${dtype}`;
      await exportModel(model, join(root, name), { tokenizerDir: join(HF_DIR, 'tokenizer'), dtype });
      model.dispose();
      // one thread on both sides: the same kernels in the same order, so the same floats
      const mine = await loadOnnxModel(join(root, name), { dtype, threads: 1 });
      env.allowRemoteModels = false;
      env.allowLocalModels = true;
      env.localModelPath = root;
      const peer = await AutoModelForCausalLM.from_pretrained(name, {
        dtype,
        device: 'cpu',
        session_options: { intraOpNumThreads: 1 },
      });
      const tokenizer = await loadTokenizer(join(root, name));
      for (const prompt of PROMPTS.slice(0, 4)) {
        const ids = tokenizer.encode(prompt);
        const theirs = await peerGreedy(peer, ids, 24);
        const ours = await generateAll(mine.createSession(), ids, { maxNewTokens: 24, eosTokenIds: [2] });
        expect(ours.tokens).toEqual(theirs);
        expect(theirs.length).toBeGreaterThan(0);
      }
      await peer.dispose();
      mine.dispose();
    },
    120_000,
  );
});
