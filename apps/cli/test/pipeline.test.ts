import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTokenizer } from '@svdecode/hf-io';
import { TINY_MODEL_DIR } from '@svdecode/tiny';
import { beforeAll, describe, expect, it } from 'vitest';
import { scratch, svdecode, TASKS } from './run-cli.js';

// the whole workflow on the embedded model, as a user runs it, on small slices of the capitals task
const dir = scratch();
const slice = (split: string, n: number) => {
  const file = join(dir, `${split}.jsonl`);
  const rows = readFileSync(join(TASKS, 'capitals', `${split}.jsonl`), 'utf8')
    .trim()
    .split('\n')
    .slice(0, n);
  writeFileSync(file, `${rows.join('\n')}\n`);
  return file;
};
const PROMPT = 'The capital of Georgia is';

describe('svdecode warmstart -> calibrate -> generate -> eval -> export-onnx -> generate --backend onnx', () => {
  const adapter = join(dir, 'lora');
  const steeringFile = join(dir, 'steering.json');
  const onnxDir = join(dir, 'onnx');
  // biome-ignore lint/suspicious/noExplicitAny: JSON the CLI printed
  let steering: Record<string, any>;

  beforeAll(async () => {
    const train = await svdecode([
      'warmstart',
      '--model',
      'tiny',
      '--data',
      slice('train', 24),
      '--method',
      'lora',
      '--lr',
      '1e-3',
      '--out',
      adapter,
      '--json',
    ]);
    expect(train.code, train.stderr).toBe(0);
    const summary = JSON.parse(train.stdout);
    expect(summary).toMatchObject({ method: 'lora', steps: 24, interrupted: false });
    // progress went to stderr as plain lines (no TTY here)
    expect(train.stderr).toMatch(/warm-start: 24\/24/);

    const cal = await svdecode([
      'calibrate',
      '--model',
      'tiny',
      '--adapter',
      adapter,
      '--data',
      slice('calibration', 10),
      '--out',
      steeringFile,
    ]);
    expect(cal.code, cal.stderr).toBe(0);
    expect(cal.stdout).toMatch(/mu_bar = /);
    expect(cal.stdout).toMatch(/per-token mu\*/);
    // the cross-validation table: every aggregate and the guarded rule, then the decision
    expect(cal.stdout).toMatch(/5-fold cross-validation over 10 rows/);
    for (const a of ['optimal', 'mean', 'median', 'trimmed', 'pooled', 'guarded'])
      expect(cal.stdout).toMatch(new RegExp(`^ {2}${a}\\s+\\S+\\s+[-+]\\d`, 'm'));
    expect(cal.stdout).toMatch(/^mu_bar = \S+ \(guarded optimal; fitted /m);
    steering = JSON.parse(readFileSync(steeringFile, 'utf8'));
  });

  it('warmstart writes a PEFT adapter directory', () => {
    const config = JSON.parse(readFileSync(join(adapter, 'adapter_config.json'), 'utf8'));
    expect(config.peft_type).toBe('LORA');
    expect(existsSync(join(adapter, 'adapter_model.safetensors'))).toBe(true);
  });

  it('calibrate records mu_bar (guarded optimal by default), every aggregate, the cross-validation, the distribution and fingerprints', () => {
    expect(steering.aggregate).toBe('optimal');
    expect(steering.decision).toMatchObject({
      aggregate: 'optimal',
      raw: steering.aggregates.optimal,
      guarded: true,
    });
    expect(steering.muBar).toBe(steering.decision.mu);
    expect(steering.decision.reason).toMatch(/held-out/);
    expect(steering.crossValidation).toMatchObject({ folds: 5, rows: 10 });
    expect(Object.keys(steering.crossValidation.aggregates).sort()).toEqual([
      'mean',
      'median',
      'optimal',
      'pooled',
      'trimmed',
    ]);
    expect(steering.coverage.targetOutside).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(steering.aggregates.mean)).toBe(true);
    for (const k of ['median', 'trimmed', 'pooled']) expect(typeof steering.aggregates[k]).toBe('number');
    expect(steering.alpha).toBe(0.1);
    expect(steering.lambda).toBe('-Infinity');
    expect(steering.distribution.count).toBeGreaterThan(10);
    expect(steering.distribution.histogram.counts.length).toBe(20);
    expect(steering.base.fingerprint).toMatch(/^sha256:/);
    expect(steering.adapter.fingerprint).toMatch(/^sha256:/);
  });

  it("calibrate --aggregate mean --no-guard uses the paper's mean as fitted", async () => {
    const out = join(dir, 'steering-mean.json');
    const r = await svdecode([
      'calibrate',
      '--model',
      'tiny',
      '--adapter',
      adapter,
      '--data',
      join(dir, 'calibration.jsonl'),
      '--out',
      out,
      '--aggregate',
      'mean',
      '--no-guard',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.muBar).toBeCloseTo(steering.aggregates.mean, 10);
    expect(json.aggregate).toBe('mean');
    expect(json.decision).toMatchObject({ aggregate: 'mean', guarded: false, shrink: 1 });
    expect(json.crossValidation.aggregates.mean.foldMus).toHaveLength(5);
  });

  // biome-ignore lint/suspicious/noExplicitAny: JSON the CLI printed
  let tfjsSteered: Record<string, any>;
  it('generate --json: steered with the file, plain with --no-steer, and --mu sets the strength', async () => {
    const steered = await svdecode([
      'generate',
      '--model',
      'tiny',
      '--adapter',
      adapter,
      '--steering',
      steeringFile,
      '--prompt',
      PROMPT,
      '--max-new-tokens',
      '8',
      '--json',
    ]);
    expect(steered.code, steered.stderr).toBe(0);
    tfjsSteered = JSON.parse(steered.stdout);
    // one BOS rule: the CLI's prompt is what the library's tokenizer gives (BOS first)
    const tokenizer = await loadTokenizer(TINY_MODEL_DIR);
    expect(tfjsSteered.promptTokens).toEqual(tokenizer.encode(PROMPT));
    expect(tfjsSteered.promptTokens[0]).toBe(tokenizer.bosTokenId);
    expect(tfjsSteered).toMatchObject({
      prompt: PROMPT,
      mu: steering.muBar,
      strategy: 'greedy',
      backend: 'tfjs',
    });
    expect(tfjsSteered.tokens.length).toBeGreaterThan(0);
    expect(tfjsSteered.promptTokens[0]).toBe(1); // BOS

    const plain = JSON.parse(
      (
        await svdecode([
          'generate',
          '--model',
          'tiny',
          '--adapter',
          adapter,
          '--no-steer',
          '--prompt',
          PROMPT,
          '--max-new-tokens',
          '8',
          '--json',
        ])
      ).stdout,
    );
    expect(plain.mu).toBeNull();
    const zero = JSON.parse(
      (
        await svdecode([
          'generate',
          '--model',
          'tiny',
          '--adapter',
          adapter,
          '--mu',
          '0',
          '--prompt',
          PROMPT,
          '--max-new-tokens',
          '8',
          '--json',
        ])
      ).stdout,
    );
    // mu = 0 is the identity: steered decoding equals plain decoding
    expect(zero.mu).toBe(0);
    expect(zero.tokens).toEqual(plain.tokens);
    const strong = JSON.parse(
      (
        await svdecode([
          'generate',
          '--model',
          'tiny',
          '--adapter',
          adapter,
          '--mu',
          '-50',
          '--prompt',
          PROMPT,
          '--max-new-tokens',
          '8',
          '--json',
        ])
      ).stdout,
    );
    expect(strong.mu).toBe(-50);
  });

  it('generate without --json streams the text', async () => {
    const r = await svdecode(['generate', '--model', 'tiny', '--prompt', PROMPT, '--max-new-tokens', '4']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().length).toBeGreaterThan(0);
  });

  it('eval --compare --json gives plain and steered metrics side by side with mu_bar', async () => {
    const r = await svdecode([
      'eval',
      '--model',
      'tiny',
      '--adapter',
      adapter,
      '--steering',
      steeringFile,
      '--data',
      join(TASKS, 'capitals', 'test.jsonl'),
      '--compare',
      '--limit',
      '6',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ format: 'multiple-choice', rows: 6, muBar: steering.muBar, alpha: 0.1 });
    expect(json.decision).toEqual(steering.decision);
    for (const side of [json.plain, json.steered]) {
      expect(side.accuracy).toBeGreaterThanOrEqual(0);
      expect(side.accuracy).toBeLessThanOrEqual(1);
      expect(side.likelihoodAccuracy).toBeGreaterThanOrEqual(0);
    }
  });

  it('the embedded model on --backend onnx: exported once into the cache, then reused; same greedy tokens as tfjs', async () => {
    const env = { SVDECODE_CACHE_DIR: join(dir, 'cache') };
    const args = [
      'generate',
      '--model',
      'tiny',
      '--prompt',
      PROMPT,
      '--no-steer',
      '--max-new-tokens',
      '12',
      '--json',
    ];
    const first = await svdecode([...args, '--backend', 'onnx'], { env });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/^exported the embedded model to ONNX once \(.*\), cached in /m);
    const second = await svdecode([...args, '--backend', 'onnx'], { env });
    expect(second.stderr).toMatch(/^using the ONNX export of the embedded model cached in /m);
    const tfjs = await svdecode(args);
    expect(JSON.parse(first.stdout).tokens).toEqual(JSON.parse(tfjs.stdout).tokens);
    expect(JSON.parse(second.stdout).tokens).toEqual(JSON.parse(tfjs.stdout).tokens);
    expect(JSON.parse(first.stdout).backend).toBe('onnx');
  });

  it('eval --no-steer with an adapter scores the adapted model unsteered, the same numbers as --mu 0 and --compare', async () => {
    const data = join(TASKS, 'capitals', 'test.jsonl');
    const common = [
      'eval',
      '--model',
      'tiny',
      '--adapter',
      adapter,
      '--data',
      data,
      '--limit',
      '6',
      '--json',
    ];
    const unsteered = await svdecode([...common, '--no-steer']);
    expect(unsteered.code, unsteered.stderr).toBe(0);
    const json = JSON.parse(unsteered.stdout);
    expect(json).toMatchObject({ rows: 6, muBar: null, steered: null });
    const zero = JSON.parse((await svdecode([...common, '--mu', '0', '--compare'])).stdout);
    expect(json.plain).toEqual(zero.plain);
    // mu = 0 is no steering: likelihoods without the confidence mask, the plain adapted numbers
    expect(zero.steered).toEqual(zero.plain);
    const both = await svdecode([...common, '--no-steer', '--mu', '1']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/^BAD_ARGUMENT: --no-steer cannot be combined/m);
  });

  it('eval without --adapter scores the base model alone; steering flags then need an adapter', async () => {
    const data = join(TASKS, 'capitals', 'test.jsonl');
    const r = await svdecode(['eval', '--model', 'tiny', '--data', data, '--limit', '4', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ format: 'multiple-choice', rows: 4, model: 'base' });
    expect(json.base.accuracy).toBeGreaterThanOrEqual(0);
    expect(json.base.likelihoodAccuracy).toBeGreaterThanOrEqual(0);
    const bad = await svdecode(['eval', '--model', 'tiny', '--data', data, '--mu', '1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^BAD_ARGUMENT: --steering, --mu and --compare need --adapter/m);
  });

  it('a steering file from before the strength guard (no decision) still loads', async () => {
    const { decision, crossValidation, coverage, ...old } = steering;
    const oldFile = join(dir, 'steering-old.json');
    writeFileSync(oldFile, JSON.stringify(old));
    const r = await svdecode([
      'eval',
      '--model',
      'tiny',
      '--adapter',
      adapter,
      '--steering',
      oldFile,
      '--data',
      join(TASKS, 'capitals', 'test.jsonl'),
      '--limit',
      '2',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^mu_bar \S+ \(alpha 0\.1\) from /m);
  });

  it('--data in the other formats: multiple-choice rows for calibrate, TruthfulQA.csv for eval', async () => {
    // multiple-choice rows train and calibrate on their correct answer (here: the test split's format)
    const mc = join(dir, 'mc.jsonl');
    const rows = readFileSync(join(TASKS, 'capitals', 'test.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .slice(0, 5);
    writeFileSync(mc, `${rows.join('\n')}\n`);
    const cal = await svdecode([
      'calibrate',
      '--model',
      'tiny',
      '--adapter',
      adapter,
      '--data',
      mc,
      '--out',
      join(dir, 'mc-steering.json'),
      '--json',
    ]);
    expect(cal.code, cal.stderr).toBe(0);
    expect(JSON.parse(cal.stdout).calibration.rows).toBe(5);

    const csv = join(dir, 'TruthfulQA.csv');
    writeFileSync(
      csv,
      [
        'Type,Category,Question,Best Answer,Correct Answers,Incorrect Answers,Source',
        'Adversarial,Geography,What is the capital of Georgia?,Tbilisi,Tbilisi; Tiflis,Batumi; Kutaisi,x',
        'Adversarial,Geography,What is the capital of Peru?,Lima,Lima,Cusco; Arequipa,x',
      ].join('\n'),
    );
    const r = await svdecode([
      'eval',
      '--model',
      'tiny',
      '--adapter',
      adapter,
      '--steering',
      steeringFile,
      '--data',
      csv,
      '--compare',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ format: 'truthfulqa', rows: 2 });
    for (const name of ['mc1 (paper)', 'MC2 (original TruthfulQA)', 'mc2 (lm-evaluation-harness)']) {
      expect(json.plain[name]).toBeGreaterThanOrEqual(0);
      expect(json.steered[name]).toBeLessThanOrEqual(1);
    }
  });

  it('export-onnx --paired, then generate --backend onnx gives the tfjs tokens', async () => {
    const exp = await svdecode([
      'export-onnx',
      '--model',
      'tiny',
      '--adapter',
      adapter,
      '--paired',
      '--out',
      onnxDir,
    ]);
    expect(exp.code, exp.stderr).toBe(0);
    expect(existsSync(join(onnxDir, 'onnx', 'model.onnx'))).toBe(true);
    const r = await svdecode([
      'generate',
      '--model',
      onnxDir,
      '--backend',
      'onnx',
      '--steering',
      steeringFile,
      '--prompt',
      PROMPT,
      '--max-new-tokens',
      '8',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const onnx = JSON.parse(r.stdout);
    expect(onnx.backend).toBe('onnx');
    expect(onnx.tokens).toEqual(tfjsSteered.tokens);
    // --backend auto (the default) picks onnx for an export, through the registry
    const auto = await svdecode([
      'generate',
      '--model',
      onnxDir,
      '--steering',
      steeringFile,
      '--prompt',
      PROMPT,
      '--max-new-tokens',
      '8',
      '--json',
    ]);
    expect(auto.code, auto.stderr).toBe(0);
    expect(JSON.parse(auto.stdout)).toMatchObject({ backend: 'onnx', tokens: tfjsSteered.tokens });
    // and an adapter with an export is refused with a hint
    const refused = await svdecode([
      'generate',
      '--model',
      onnxDir,
      '--adapter',
      adapter,
      '--backend',
      'onnx',
      '--prompt',
      PROMPT,
    ]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--adapter does not apply to --backend onnx/);
  });

  it('info --json names the active backends', async () => {
    const r = await svdecode(['info', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.backends.tfjs.active).toMatch(/wasm|tfjs-node|cpu/);
    expect(info.backends.onnx.version).toMatch(/^\d+\.\d+/);
  });

  it('Ctrl-C during warmstart stops cleanly: the adapter is saved as it is, exit code 130', async () => {
    const out = join(dir, 'interrupted');
    let sent = false;
    const r = await svdecode(
      [
        'warmstart',
        '--model',
        'tiny',
        '--data',
        join(TASKS, 'capitals', 'train.jsonl'),
        '--method',
        'ia3',
        '--out',
        out,
      ],
      {
        onStderr: (text, child) => {
          if (!sent && /warm-start: [1-9]/.test(text)) {
            sent = true;
            child.kill('SIGINT');
          }
        },
      },
    );
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/ABORTED/);
    expect(existsSync(join(out, 'adapter_model.safetensors'))).toBe(true);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
