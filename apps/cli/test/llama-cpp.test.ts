import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratch, svdecode, TASKS } from './run-cli.js';

// the llama.cpp backend from the command line: export-gguf, then generate / calibrate / eval on the
// GGUF files; the embedded model and its PEFT adapters are exported once into the cache
const dir = scratch();
const LORA = new URL('../../../packages/tiny/demo/lora/', import.meta.url).pathname;
const PROMPT = 'The capital of Georgia is';
const env = { SVDECODE_CACHE_DIR: join(dir, 'cache') };

describe('svdecode with --backend llama-cpp', () => {
  it('export-gguf writes the model and the LoRA adapter; generate on them gives the tfjs tokens, plain and steered', async () => {
    const model = join(dir, 'tiny.gguf');
    const lora = join(dir, 'lora.gguf');
    const m = await svdecode(['export-gguf', '--model', 'tiny', '--out', model, '--json']);
    expect(m.code, m.stderr).toBe(0);
    expect(JSON.parse(m.stdout)).toMatchObject({ out: model, kind: 'model (F32)' });
    const a = await svdecode(['export-gguf', '--model', 'tiny', '--adapter', LORA, '--out', lora, '--json']);
    expect(a.code, a.stderr).toBe(0);
    const args = ['generate', '--prompt', PROMPT, '--max-new-tokens', '16', '--json'];
    const plain = await svdecode([...args, '--model', model, '--no-steer']);
    expect(plain.code, plain.stderr).toBe(0);
    const plainTfjs = await svdecode([...args, '--model', 'tiny', '--no-steer']);
    expect(JSON.parse(plain.stdout).backend).toBe('llama-cpp'); // auto picks it for a .gguf file
    expect(JSON.parse(plain.stdout).tokens).toEqual(JSON.parse(plainTfjs.stdout).tokens);
    const steered = await svdecode([...args, '--model', model, '--adapter', lora, '--mu', '0.5']);
    expect(steered.code, steered.stderr).toBe(0);
    const steeredTfjs = await svdecode([...args, '--model', 'tiny', '--adapter', LORA, '--mu', '0.5']);
    expect(JSON.parse(steered.stdout).tokens).toEqual(JSON.parse(steeredTfjs.stdout).tokens);
  });

  it('calibrate and eval on the embedded model through llama.cpp (PEFT adapter exported into the cache)', async () => {
    const data = join(TASKS, 'capitals-open', 'calibration.jsonl');
    const out = join(dir, 'steering.json');
    const common = ['--model', 'tiny', '--backend', 'llama-cpp', '--adapter', LORA];
    const cal = await svdecode(
      ['calibrate', ...common, '--data', data, '--out', out, '--folds', '0', '--json'],
      { env },
    );
    expect(cal.code, cal.stderr).toBe(0);
    const calTfjs = await svdecode([
      'calibrate',
      '--model',
      'tiny',
      '--adapter',
      LORA,
      '--data',
      data,
      '--out',
      join(dir, 's2.json'),
      '--folds',
      '0',
      '--json',
    ]);
    // the same strength from llama.cpp's log-probabilities as from tfjs logits
    expect(JSON.parse(cal.stdout).muBar).toBeCloseTo(JSON.parse(calTfjs.stdout).muBar, 3);
    const test = join(TASKS, 'capitals-open', 'test.jsonl');
    const ev = await svdecode(
      ['eval', ...common, '--data', test, '--limit', '6', '--steering', out, '--compare', '--json'],
      { env },
    );
    expect(ev.code, ev.stderr).toBe(0);
    const evTfjs = await svdecode([
      'eval',
      '--model',
      'tiny',
      '--adapter',
      LORA,
      '--data',
      test,
      '--limit',
      '6',
      '--steering',
      out,
      '--compare',
      '--json',
    ]);
    const [ours, theirs] = [JSON.parse(ev.stdout), JSON.parse(evTfjs.stdout)];
    expect(typeof ours.steered.exactMatch).toBe('number');
    expect(ours.steered.exactMatch).toBe(theirs.steered.exactMatch);
    expect(ours.plain.exactMatch).toBe(theirs.plain.exactMatch);
  });

  it('refuses a PEFT directory as the adapter of a GGUF file, and a model that is not GGUF', async () => {
    const model = join(dir, 'tiny.gguf');
    const r = await svdecode([
      'generate',
      '--model',
      model,
      '--adapter',
      LORA,
      '--mu',
      '0.5',
      '--prompt',
      'x',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^BAD_ARGUMENT: --adapter with --backend llama-cpp takes a GGUF LoRA file/m);
    const notGguf = await svdecode([
      'generate',
      '--model',
      join(dir, 'lora'),
      '--backend',
      'llama-cpp',
      '--prompt',
      'x',
    ]);
    expect(notGguf.code).toBe(2);
    expect(notGguf.stderr).toMatch(/takes a GGUF file/);
  });
});
