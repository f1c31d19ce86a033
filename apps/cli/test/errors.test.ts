import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, scratch, svdecode, TASKS } from './run-cli.js';

const dir = scratch();
const calibration = join(TASKS, 'capitals', 'calibration.jsonl');
const adapter = join(dir, 'lora');
const steeringFile = join(dir, 'steering.json');

/** One clear line `CODE: message`, a hint, no stack trace, the expected exit status. */
function expectError(r: { code: number | null; stderr: string }, code: string, exit: number) {
  expect(r.stderr).toMatch(new RegExp(`^${code}: `, 'm'));
  expect(r.stderr).toMatch(/^ {2}hint: /m);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.code).toBe(exit);
}

beforeAll(async () => {
  const train = join(dir, 'train.jsonl');
  writeFileSync(
    train,
    readFileSync(join(TASKS, 'capitals', 'train.jsonl'), 'utf8')
      .split('\n')
      .slice(0, 4)
      .join('\n'),
  );
  const r = await svdecode([
    'warmstart',
    '--model',
    'tiny',
    '--data',
    train,
    '--method',
    'lora',
    '--lr',
    '1e-3',
    '--out',
    adapter,
    '--quiet',
  ]);
  expect(r.code, r.stderr).toBe(0);
  const c = await svdecode([
    'calibrate',
    '--model',
    'tiny',
    '--adapter',
    adapter,
    '--data',
    train,
    '--out',
    steeringFile,
    '--quiet',
  ]);
  expect(c.code, c.stderr).toBe(0);
});

describe('errors: one clear message with code and hint, an exit status per kind, nothing half-written', () => {
  it('a missing data file', async () => {
    const r = await svdecode([
      'calibrate',
      '--model',
      'tiny',
      '--adapter',
      adapter,
      '--data',
      join(dir, 'nope.jsonl'),
      '--out',
      join(dir, 'x.json'),
    ]);
    expectError(r, 'FILE_NOT_FOUND', 66);
    expect(r.stderr).toContain('nope.jsonl');
  });

  it('a missing model directory', async () => {
    expectError(
      await svdecode(['generate', '--model', join(dir, 'no-model'), '--prompt', 'x']),
      'FILE_NOT_FOUND',
      66,
    );
  });

  it('malformed JSONL names the file and line; the output file is not written', async () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"prompt": "a", "completion": " b"}\n{"prompt": "a", "completion": \n');
    const out = join(dir, 'never.json');
    const r = await svdecode([
      'calibrate',
      '--model',
      'tiny',
      '--adapter',
      adapter,
      '--data',
      bad,
      '--out',
      out,
    ]);
    expectError(r, 'BAD_DATASET_ROW', 65);
    expect(r.stderr).toContain('bad.jsonl:2');
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('a row without the needed field names the field', async () => {
    const bad = join(dir, 'no-completion.jsonl');
    writeFileSync(bad, '{"prompt": "a", "completion": " b"}\n{"prompt": "c"}\n');
    const r = await svdecode([
      'warmstart',
      '--model',
      'tiny',
      '--data',
      bad,
      '--method',
      'lora',
      '--out',
      join(dir, 'never'),
    ]);
    expectError(r, 'BAD_DATASET_ROW', 65);
    expect(r.stderr).toMatch(/no-completion\.jsonl:2: field "completion"/);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });

  it('an adapter made for another model', async () => {
    const r = await svdecode([
      'generate',
      '--model',
      'tiny',
      '--adapter',
      join(FIXTURES, 'adapters', 'lora'),
      '--prompt',
      'x',
    ]);
    expectError(r, 'WEIGHT_SHAPE_MISMATCH', 66);
  });

  it('a tokenizer larger than the model vocabulary', async () => {
    const model = join(dir, 'small-vocab');
    cpSync(join(FIXTURES, '..', '..', 'packages', 'tiny', 'model'), model, { recursive: true });
    const config = JSON.parse(readFileSync(join(model, 'config.json'), 'utf8'));
    writeFileSync(join(model, 'config.json'), JSON.stringify({ ...config, vocab_size: 1000 }));
    expectError(await svdecode(['generate', '--model', model, '--prompt', 'x']), 'VOCAB_MISMATCH', 65);
  });

  it('a non-finite mu_bar in a steering file', async () => {
    const file = join(dir, 'nan.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(steeringFile, 'utf8')), muBar: 'NaN' }));
    const r = await svdecode([
      'generate',
      '--model',
      'tiny',
      '--adapter',
      adapter,
      '--steering',
      file,
      '--prompt',
      'x',
    ]);
    expectError(r, 'NON_FINITE_STRENGTH', 65);
  });

  it('a steering file calibrated for another adapter', async () => {
    const other = join(dir, 'other');
    const train = join(dir, 'train.jsonl');
    expect(
      (
        await svdecode([
          'warmstart',
          '--model',
          'tiny',
          '--data',
          train,
          '--method',
          'ia3',
          '--out',
          other,
          '--quiet',
        ])
      ).code,
    ).toBe(0);
    const r = await svdecode([
      'generate',
      '--model',
      'tiny',
      '--adapter',
      other,
      '--steering',
      steeringFile,
      '--prompt',
      'x',
    ]);
    expectError(r, 'STEERING_MISMATCH', 2);
    const eval_ = await svdecode([
      'eval',
      '--model',
      'tiny',
      '--adapter',
      other,
      '--steering',
      steeringFile,
      '--data',
      calibration,
    ]);
    expectError(eval_, 'STEERING_MISMATCH', 2);
  });

  it('unknown flags and bad values', async () => {
    expectError(
      await svdecode(['generate', '--model', 'tiny', '--prompt', 'x', '--nope']),
      'BAD_ARGUMENT',
      2,
    );
    const lr = await svdecode([
      'warmstart',
      '--model',
      'tiny',
      '--data',
      calibration,
      '--method',
      'lora',
      '--out',
      join(dir, 'n'),
      '--lr',
      '-1',
    ]);
    expectError(lr, 'BAD_ARGUMENT', 2);
    expect(lr.stderr).toContain('--lr');
    expectError(
      await svdecode([
        'calibrate',
        '--model',
        'tiny',
        '--adapter',
        adapter,
        '--data',
        calibration,
        '--out',
        join(dir, 'n.json'),
        '--alpha',
        '2',
      ]),
      'BAD_ARGUMENT',
      2,
    );
    expectError(
      await svdecode([
        'warmstart',
        '--model',
        'tiny',
        '--data',
        calibration,
        '--method',
        'adalora',
        '--out',
        join(dir, 'n'),
      ]),
      'BAD_ARGUMENT',
      2,
    );
    expectError(
      await svdecode(['generate', '--model', 'tiny', '--prompt', 'x', '--max-new-tokens', '2.5']),
      'BAD_ARGUMENT',
      2,
    );
    expectError(await svdecode(['generate', '--model', 'tiny']), 'BAD_ARGUMENT', 2); // missing --prompt
    expectError(
      await svdecode(['generate', '--model', 'tiny', '--prompt', 'x', '--mu', '1', '--no-steer']),
      'BAD_ARGUMENT',
      2,
    );
    expectError(await svdecode(['frobnicate']), 'BAD_ARGUMENT', 2);
  });

  it('--verbose adds the stack trace', async () => {
    const r = await svdecode(['generate', '--model', join(dir, 'no-model'), '--prompt', 'x', '--verbose']);
    expect(r.code).toBe(66);
    expect(r.stderr).toMatch(/\n\s+at /);
  });
});
