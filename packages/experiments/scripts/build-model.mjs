#!/usr/bin/env node
// Builds the embedded default from data/corpus.jsonl with fixed seeds: a byte-level BPE tokenizer
// (vocabulary 2,048, our TypeScript trainer, checked through @huggingface/tokenizers), the token
// stream, then a Llama pre-trained on CPU by scripts/train_llama.py (Debian's python3-torch with
// OpenBLAS: `apt-get install python3-torch libopenblas0-pthread`), saved in the Hugging Face layout.
// Everything is written to a temporary directory renamed into place (model/ by default).
//
// usage: node scripts/build-model.mjs [--epochs N] [--threads 2] [--out DIR] [--python /usr/bin/python3]
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { HfTokenizer, parseLlamaConfig, replaceDirectory } from '@svdecode/hf-io';
import { trainByteLevelBpe } from '../dist/build.js';

const root = fileURLToPath(new URL('../', import.meta.url));
// the model and the corpus are the embedded default's (@svdecode/tiny)
const tiny = fileURLToPath(new URL('../../tiny/', import.meta.url));
const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '8' },
    threads: { type: 'string', default: '2' },
    out: { type: 'string', default: join(tiny, 'model') },
    python: { type: 'string', default: '/usr/bin/python3' },
    hidden: { type: 'string', default: '256' },
    layers: { type: 'string', default: '4' },
  },
});
const started = Date.now();
const log = (msg) => console.log(`[${((Date.now() - started) / 1000).toFixed(0)} s] ${msg}`);
const VOCAB = 2048;
const SEQ = 128;
const hidden = Number(values.hidden);

// 1. tokenizer, trained on the corpus documents
const documents = (await readFile(join(tiny, 'data', 'corpus.jsonl'), 'utf8'))
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line));
const tokenizerJson = trainByteLevelBpe(documents, {
  vocabSize: VOCAB,
  specialTokens: ['<pad>', '<s>', '</s>'],
  // encode(text) starts with <s> (the prompt a model is trained on), as Llama tokenizers do
  bosToken: '<s>',
});
const tokenizerConfig = {
  bos_token: '<s>',
  eos_token: '</s>',
  pad_token: '<pad>',
  tokenizer_class: 'PreTrainedTokenizerFast',
  model_max_length: 512,
  add_bos_token: true,
};
const tokenizer = new HfTokenizer(tokenizerJson, tokenizerConfig);
log(`tokenizer: ${tokenizer.vocabSize} tokens`);

// 2. the token stream: <s> document </s> ... (rows of SEQ + 1 are cut from it by the trainer)
const stream = [];
for (const doc of documents) stream.push(...tokenizer.encode(doc), 2);
log(`corpus: ${documents.length} documents, ${stream.length} tokens`);

// 3. the model's config (Hugging Face Llama) and the training run
const config = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  vocab_size: VOCAB,
  hidden_size: hidden,
  intermediate_size: Math.round((hidden * 8) / 3 / 16) * 16,
  num_hidden_layers: Number(values.layers),
  num_attention_heads: hidden / 32,
  num_key_value_heads: hidden / 64,
  head_dim: 32,
  hidden_act: 'silu',
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  rope_scaling: null,
  max_position_embeddings: 512,
  tie_word_embeddings: true,
  attention_bias: false,
  bos_token_id: 1,
  eos_token_id: 2,
  pad_token_id: 0,
  torch_dtype: 'float32',
  use_cache: true,
};
parseLlamaConfig(config, 'config.json'); // what every svdecode loader will read back
const training = {
  seed: 42,
  threads: Number(values.threads),
  epochs: Number(values.epochs),
  seq: SEQ,
  stride: SEQ,
  batch: 16,
  lr: 2e-3,
  warmup: 0.03,
  weight_decay: 0.1,
  init_std: 0.02,
  log_every: 50,
  snapshot_every: 2,
};

const out = resolve(values.out);
const temp = `${out}.tmp-${process.pid}`;
await rm(temp, { recursive: true, force: true });
await mkdir(temp, { recursive: true });
try {
  await writeFile(join(temp, 'settings.json'), JSON.stringify({ config, training }));
  // the Hugging Face files first: with the trainer's snapshots, the directory loads mid-training
  await writeFile(join(temp, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  await writeFile(
    join(temp, 'generation_config.json'),
    `${JSON.stringify({ bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 }, null, 2)}\n`,
  );
  await writeFile(join(temp, 'tokenizer.json'), JSON.stringify(tokenizerJson));
  await writeFile(join(temp, 'tokenizer_config.json'), `${JSON.stringify(tokenizerConfig, null, 2)}\n`);
  await writeFile(join(temp, 'tokens.bin'), Buffer.from(Uint16Array.from(stream).buffer));
  // 4. pre-training in PyTorch; its JSON progress lines become ours
  const summary = await new Promise((resolvePromise, reject) => {
    const child = spawn(
      values.python,
      [join(root, 'scripts', 'train_llama.py'), join(temp, 'settings.json'), join(temp, 'tokens.bin'), temp],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, OMP_NUM_THREADS: values.threads } },
    );
    let done;
    let buffer = '';
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        const event = JSON.parse(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf('\n');
        if (event.event === 'start')
          log(`model: ${event.parameters.toLocaleString('en-US')} parameters, ${event.steps} steps`);
        else if (event.event === 'step') {
          const eta = (event.seconds / event.step) * (event.steps - event.step);
          log(
            `epoch ${event.epoch} step ${event.step}/${event.steps} loss ${event.loss.toFixed(3)} ${event.tokens_per_second.toFixed(0)} tok/s, eta ${(eta / 60).toFixed(1)} min`,
          );
        } else if (event.event === 'done') done = event;
      }
    });
    child.on('error', (error) =>
      reject(
        new Error(
          `cannot run ${values.python} (apt-get install python3-torch libopenblas0-pthread): ${error.message}`,
        ),
      ),
    );
    child.on('exit', (code) =>
      code === 0 && done ? resolvePromise(done) : reject(new Error(`trainer exited with ${code}`)),
    );
  });
  // 5. the Hugging Face directory
  await rm(join(temp, 'settings.json'));
  await rm(join(temp, 'tokens.bin'));
  const { event, ...rest } = summary;
  await writeFile(
    join(temp, 'training.json'),
    `${JSON.stringify({ ...rest, documents: documents.length, totalSeconds: (Date.now() - started) / 1000, settings: training }, null, 2)}\n`,
  );
  await replaceDirectory(temp, out);
  log(
    `saved ${out}: loss ${summary.finalLoss.toFixed(3)}, ${(summary.seconds / 60).toFixed(1)} min of training`,
  );
} catch (error) {
  await rm(temp, { recursive: true, force: true });
  throw error;
}
