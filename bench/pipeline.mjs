// The embedded model end to end: decode tokens/s plain vs steered (eager paired, lazy base,
// unpaired) on tfjs and ONNX with the share of steps that skipped the base model, tokens/s against
// generated length (plain / eager / lazy), tokens/s against sequence length, peak RSS plain vs
// steered, warm-start tokens/s per PEFT method, calibration tokens/s. One run, interleaved where
// compared.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadOnnxModel } from '@svdecode/backend-onnx';
import { checkpointWeights } from '@svdecode/backend-tfjs';
import { machine, record, table } from '@svdecode/bench';
import { pairSessions } from '@svdecode/core';
import { encodeRows, loadPromptCompletionJsonl } from '@svdecode/eval';
import { exportOnnx } from '@svdecode/onnx-export';
import {
  AdaptedModel,
  createAdapter,
  defaultAdapterConfig,
  loadAdapter,
  METHODS,
  warmStart,
} from '@svdecode/peft-tfjs';
import { generateAll } from '@svdecode/sampler';
import { calibrate } from '@svdecode/strength';
import { loadTiny, TINY_DEMO_ADAPTER_DIR, taskFile } from '@svdecode/tiny';

process.env.SVDECODE_QUIET = '1';
const NEW = 32;
const GROUP = 'embedded model (3.43M params)';
const { model, tokenizer } = await loadTiny();
const adapted = await loadAdapter(model, TINY_DEMO_ADAPTER_DIR, { tokenizer });
const root = await mkdtemp(join(tmpdir(), 'svdecode-tiny-bench-'));
console.log(`embedded-model pipeline benchmark — ${machine()}\n`);

async function rounds(candidates, n = 7) {
  const times = Object.fromEntries(Object.keys(candidates).map((k) => [k, []]));
  for (const fn of Object.values(candidates)) await fn();
  for (let r = 0; r < n; r++) {
    for (const [name, fn] of Object.entries(candidates)) {
      const t0 = process.hrtime.bigint();
      const tokens = await fn();
      times[name].push(tokens / (Number(process.hrtime.bigint() - t0) / 1e9));
    }
  }
  return Object.fromEntries(
    Object.entries(times).map(([k, v]) => {
      const s = [...v].sort((a, b) => a - b);
      return [k, { median: s[s.length >> 1], p10: s[0], p90: s.at(-1), runs: n }];
    }),
  );
}
const steer = { steer: { mu: 0.5 } };
// the workload: capitals questions from the calibration split, NEW free-running tokens each (the
// answer, then whatever the model writes next), as task prompts look; every call decodes them all
const questions = (await loadPromptCompletionJsonl(taskFile('capitals-open', 'calibration')))
  .slice(0, 8)
  .map((row) => tokenizer.encode(row.prompt));
const skipShares = {};
const decodeAll =
  (name, makeSession, extra = {}, maxNewTokens = NEW) =>
  async () => {
    let tokens = 0;
    for (const prompt of questions) {
      const r = await generateAll(makeSession(), prompt, { maxNewTokens, eosTokenIds: [], ...extra });
      tokens += r.tokens.length;
      if (r.baseSkipped !== null) {
        skipShares[name] ??= [];
        skipShares[name].push(r.baseSkipped);
      }
    }
    return tokens;
  };

try {
  // ONNX exports of the same base + demo adapter
  await exportOnnx(checkpointWeights(model), join(root, 'base'));
  await exportOnnx(checkpointWeights(model), join(root, 'merged'), { adapter: adapted.adapter });
  await exportOnnx(checkpointWeights(model), join(root, 'paired'), {
    adapter: adapted.adapter,
    paired: true,
  });
  const onnxBase = await loadOnnxModel(join(root, 'base'));
  const onnxMerged = await loadOnnxModel(join(root, 'merged'));
  const onnxPaired = await loadOnnxModel(join(root, 'paired'));

  const eager = { ...steer, lazyBase: false };
  // every step that can skip the base does, whatever the costs
  const always = { ...steer, lazyBase: 'always' };
  const candidates = {
    'tfjs plain adapted': () => adapted.createSession(),
    'tfjs steered, paired': [() => adapted.createPairedSession(), eager],
    'tfjs steered, lazy base': [() => adapted.createLazyPairedSession(), steer],
    'tfjs steered, lazy base always': [() => adapted.createLazyPairedSession(), always],
    'tfjs steered, unpaired': [() => pairSessions(model.createSession(), adapted.createSession()), eager],
    'onnx plain adapted': () => onnxMerged.createSession(),
    'onnx steered, paired': [() => onnxPaired.createPairedSession(), eager],
    'onnx steered, lazy base': [() => onnxPaired.createLazyPairedSession(), steer],
    'onnx steered, lazy base always': [() => onnxPaired.createLazyPairedSession(), always],
    'onnx steered, unpaired': [
      () => pairSessions(onnxBase.createSession(), onnxMerged.createSession()),
      eager,
    ],
  };
  const decode = await rounds(
    Object.fromEntries(
      Object.entries(candidates).map(([name, c]) => [
        name,
        Array.isArray(c) ? decodeAll(name, c[0], c[1]) : decodeAll(name, c),
      ]),
    ),
  );
  const mean = (xs) => xs.reduce((a, x) => a + x, 0) / xs.length;
  const rows = [];
  for (const [name, s] of Object.entries(decode)) {
    const backend = name.split(' ')[0];
    const baseline = `${backend} plain adapted`;
    const isSteered = name !== baseline;
    const skipped = name.includes('lazy base') ? mean(skipShares[name]) : undefined;
    record({
      group: GROUP,
      name: `${name} decoding${skipped === undefined ? '' : ` (base skipped on ${(100 * skipped).toFixed(0)} % of steps)`}`,
      value: s.median,
      unit: 'tokens/s',
      p10: s.p10,
      p90: s.p90,
      runs: s.runs,
      ...(isSteered
        ? { baseline, baselineValue: decode[baseline].median, ratio: s.median / decode[baseline].median }
        : {}),
      ...(name.endsWith(', paired') ? { target: '>= 0.75' } : {}),
      ...(name.endsWith('lazy base') ? { target: '>= 0.9' } : {}),
    });
    rows.push({
      decoding: name,
      'tokens/s (min–max)': `${s.median.toFixed(0)} (${s.p10.toFixed(0)}–${s.p90.toFixed(0)})`,
      'vs plain adapted': isSteered ? (s.median / decode[baseline].median).toFixed(2) : '1.00',
      'base skipped': skipped === undefined ? '' : `${(100 * skipped).toFixed(0)} %`,
    });
  }
  for (const backend of ['tfjs', 'onnx']) {
    const lazy = decode[`${backend} steered, lazy base`].median;
    const paired = decode[`${backend} steered, paired`].median;
    record({
      group: GROUP,
      name: `${backend} lazy base vs eager paired steered decoding`,
      value: lazy,
      unit: 'tokens/s',
      baseline: `${backend} steered, paired`,
      baselineValue: paired,
      ratio: lazy / paired,
    });
  }
  console.log(table(rows));

  // tokens/s against generated length, plain / eager / lazy (tfjs): where catch-ups and skipped
  // steps fall changes with the length of the generation
  const perGenerated = [];
  for (const n of [4, 8, 16, 32, 64]) {
    const modes = {
      plain: decodeAll(`plain@${n}`, () => adapted.createSession(), {}, n),
      eager: decodeAll(`eager@${n}`, () => adapted.createPairedSession(), eager, n),
      lazy: decodeAll(`lazy@${n}`, () => adapted.createLazyPairedSession(), steer, n),
    };
    const r = await rounds(modes, 3);
    const row = { 'new tokens': n };
    for (const mode of Object.keys(modes)) {
      record({
        group: 'tokens/s vs generated length (embedded model, tfjs, 8 capitals questions)',
        name: `${mode} steered, ${n} new tokens`.replace('plain steered', 'plain adapted'),
        value: r[mode].median,
        unit: 'tokens/s',
        p10: r[mode].p10,
        p90: r[mode].p90,
        runs: r[mode].runs,
        ...(mode !== 'plain'
          ? {
              baseline: `plain adapted, ${n} new tokens`,
              baselineValue: r.plain.median,
              ratio: r[mode].median / r.plain.median,
            }
          : {}),
        series: mode === 'plain' ? 'plain adapted' : `${mode} steered`,
        x: n,
        plot: 'decode-vs-generated',
      });
      row[`${mode} tokens/s`] = r[mode].median.toFixed(0);
    }
    row['lazy: base skipped'] = `${(100 * mean(skipShares[`lazy@${n}`])).toFixed(0)} %`;
    perGenerated.push(row);
  }
  console.log(`\n${table(perGenerated)}`);

  // tokens/s against sequence length (one step appended to a session prefilled to each position)
  const lengths = [16, 64, 128, 256, 448];
  const filler = Array.from({ length: 512 }, (_, i) => 3 + ((i * 7919) % 2000));
  const perLength = [];
  for (const n of lengths) {
    const plainAt = adapted.createSession();
    await plainAt.append(filler.slice(0, n));
    const pairedAt = adapted.createPairedSession();
    await pairedAt.append(filler.slice(0, n));
    const step = (session) => async () => {
      const s = session.fork();
      await s.append([5]);
      s.dispose();
      return 1;
    };
    const r = await rounds({ plain: step(plainAt), steered: step(pairedAt) }, 9);
    plainAt.dispose();
    pairedAt.dispose();
    for (const mode of ['plain', 'steered']) {
      record({
        group: 'tokens/s vs sequence length (embedded model, tfjs)',
        name: `${mode} at position ${n}`,
        value: r[mode].median,
        unit: 'tokens/s',
        p10: r[mode].p10,
        p90: r[mode].p90,
        runs: r[mode].runs,
        ...(mode === 'steered'
          ? {
              baseline: `plain at position ${n}`,
              baselineValue: r.plain.median,
              ratio: r.steered.median / r.plain.median,
            }
          : {}),
        series: mode,
        x: n,
      });
    }
    perLength.push({
      position: n,
      'plain tokens/s': r.plain.median.toFixed(0),
      'steered tokens/s': r.steered.median.toFixed(0),
    });
  }
  console.log(`\n${table(perLength)}`);

  // peak RSS: the same 4 x 64-token decode, plain or steered, each in a fresh process (3 each, interleaved)
  const child = fileURLToPath(new URL('rss-child.mjs', import.meta.url));
  const rss = { plain: [], steered: [] };
  for (let i = 0; i < 3; i++)
    for (const mode of ['plain', 'steered'])
      rss[mode].push(
        JSON.parse(execFileSync(process.execPath, [child, mode], { encoding: 'utf8' })).maxRssBytes,
      );
  const medianOf = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  record({
    group: 'memory',
    name: 'embedded model: peak RSS, steered decoding',
    value: medianOf(rss.steered) / 2 ** 20,
    unit: 'MiB',
    baseline: 'plain adapted decoding',
    baselineValue: medianOf(rss.plain) / 2 ** 20,
    ratio: medianOf(rss.steered) / medianOf(rss.plain),
    target: '<= 1.1',
  });
  console.log(
    `\npeak RSS: plain ${(medianOf(rss.plain) / 2 ** 20).toFixed(0)} MiB, steered ${(medianOf(rss.steered) / 2 ** 20).toFixed(0)} MiB`,
  );

  // warm-start throughput per method (one epoch over 40 capitals rows) and calibration throughput
  const train = encodeRows(
    tokenizer,
    (await loadPromptCompletionJsonl(taskFile('capitals', 'train'))).slice(0, 40),
  );
  const warm = [];
  for (const method of METHODS) {
    const fresh = new AdaptedModel(
      model,
      createAdapter(model, defaultAdapterConfig(method, model), { seed: 0 }),
    );
    const result = await warmStart(fresh, train, { learningRate: 1e-3 });
    record({
      group: 'warm-start',
      name: `embedded model: ${method} warm-start`,
      value: result.tokensPerSecond,
      unit: 'tokens/s',
    });
    warm.push({ method, 'tokens/s': result.tokensPerSecond.toFixed(0) });
    fresh.dispose();
  }
  console.log(`\n${table(warm)}`);
  const calibration = encodeRows(
    tokenizer,
    await loadPromptCompletionJsonl(taskFile('capitals', 'calibration')),
  );
  const cal = await calibrate(adapted, calibration);
  const teacherForced =
    calibration.reduce((a, r) => a + r.prompt.length + r.completion.length, 0) / cal.seconds;
  record({
    group: 'calibration',
    name: 'embedded model: calibration (completion tokens)',
    value: cal.tokensPerSecond,
    unit: 'tokens/s',
  });
  record({
    group: 'calibration',
    name: 'embedded model: calibration (all teacher-forced tokens)',
    value: teacherForced,
    unit: 'tokens/s',
  });
  // cross-validated calibration (5 folds, every aggregate + the nested guard) against plain
  // calibration (folds: 0), wall time including summary(), interleaved
  // (rounds() measures calls per second when a call returns 1; summary() is part of calibrate())
  const timed = (folds) => async () => {
    await calibrate(adapted, calibration, { folds });
    return 1;
  };
  const cv = await rounds({ plain: timed(0), crossValidated: timed(5) }, 5);
  record({
    group: 'calibration',
    name: 'embedded model: cross-validated calibration time',
    value: 1 / cv.crossValidated.median,
    unit: 's',
    baseline: 'plain calibration (folds: 0)',
    baselineValue: 1 / cv.plain.median,
    ratio: cv.plain.median / cv.crossValidated.median,
    target: '<= 1.3',
  });
  console.log(
    `cross-validated / plain calibration time: ${(cv.plain.median / cv.crossValidated.median).toFixed(3)} (${(1 / cv.crossValidated.median).toFixed(2)} s vs ${(1 / cv.plain.median).toFixed(2)} s)`,
  );
  console.log(
    `calibration: ${cal.tokensPerSecond.toFixed(0)} target tokens/s (${teacherForced.toFixed(0)} teacher-forced tokens/s)`,
  );
  for (const m of [onnxBase, onnxMerged, onnxPaired]) m.dispose();
} finally {
  await rm(root, { recursive: true, force: true });
  adapted.dispose();
  model.dispose();
}
