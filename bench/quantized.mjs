// Quantized exports against fp32, one run: file sizes; greedy and steered tokens/s on the 51.7M
// random-init Llama (ONNX fp32 / q8 / q4 with MatMulNBits, both accuracy levels for the q4 paired
// export; llama.cpp F32 / Q8_0 / Q4_0), interleaved rounds; and the accuracy change on the embedded
// tasks' test splits (base model on all four, LoRA + SVDecode on the demo task), each difference
// with a paired bootstrap interval over test items. The protocol is fixed in
// packages/tiny/DECISIONS.md (entries 18 and 19).
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLlamaCppModel } from '@svdecode/backend-llama-cpp';
import { loadOnnxModel } from '@svdecode/backend-onnx';
import { checkpointWeights, randomLlama } from '@svdecode/backend-tfjs';
import { LLAMA_51M, machine, record, syntheticTokenizer, table } from '@svdecode/bench';
import {
  evaluateChoices,
  evaluateOpenEnded,
  loadMultipleChoiceJsonl,
  loadPromptCompletionJsonl,
  pairedBootstrap,
} from '@svdecode/eval';
import { exportGguf, exportGgufLora } from '@svdecode/gguf-export';
import { loadModelDirectory, loadTokenizer } from '@svdecode/hf-io';
import { exportOnnx } from '@svdecode/onnx-export';
import { loadLinearAdapter } from '@svdecode/peft';
import { AdaptedModel, createAdapter, defaultAdapterConfig } from '@svdecode/peft-tfjs';
import { generateAll } from '@svdecode/sampler';
import {
  DEMO_TASK,
  TASKS,
  TINY_DEMO_ADAPTER_DIR,
  TINY_DEMO_STEERING_FILE,
  TINY_MODEL_DIR,
  taskFile,
  taskKind,
} from '@svdecode/tiny';

process.env.SVDECODE_QUIET = '1';
const ROUNDS = 7;
const NEW = 48;
const root = await mkdtemp(join(tmpdir(), 'svdecode-quantized-bench-'));
const mb = async (file) => (await stat(file)).size / 1e6;
const ONNX_FILE = { fp32: 'model.onnx', q8: 'model_quantized.onnx', q4: 'model_q4.onnx' };

/** Median tokens/s of interleaved rounds, with the slowest and fastest round. */
async function race(candidates) {
  const times = Object.fromEntries(Object.keys(candidates).map((k) => [k, []]));
  for (const fn of Object.values(candidates)) await fn(); // warm-up
  for (let r = 0; r < ROUNDS; r++)
    for (const [name, fn] of Object.entries(candidates)) {
      const t0 = process.hrtime.bigint();
      await fn();
      times[name].push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
  return Object.fromEntries(
    Object.entries(times).map(([k, v]) => {
      const s = [...v].sort((a, b) => a - b);
      return [k, { median: NEW / s[ROUNDS >> 1], low: NEW / s[ROUNDS - 1], high: NEW / s[0] }];
    }),
  );
}

async function speed() {
  const model = await randomLlama({ ...LLAMA_51M, seed: 5 });
  const adapted = new AdaptedModel(
    model,
    createAdapter(model, defaultAdapterConfig('lora', model), { seed: 1 }),
  );
  const weights = checkpointWeights(model);
  const dir = join(root, 'big');
  const onnx = {};
  for (const dtype of ['fp32', 'q8', 'q4']) {
    await exportOnnx(weights, join(dir, `merged-${dtype}`), { adapter: adapted.adapter, dtype });
    await exportOnnx(weights, join(dir, `paired-${dtype}`), {
      adapter: adapted.adapter,
      paired: true,
      dtype,
    });
    onnx[`merged-${dtype}`] = await loadOnnxModel(join(dir, `merged-${dtype}`));
    onnx[`paired-${dtype}`] = await loadOnnxModel(join(dir, `paired-${dtype}`));
  }
  await exportOnnx(weights, join(dir, 'paired-q4-level0'), {
    adapter: adapted.adapter,
    paired: true,
    dtype: 'q4',
    quantization: { accuracyLevel: 0 },
  });
  onnx['paired-q4-level0'] = await loadOnnxModel(join(dir, 'paired-q4-level0'));
  await syntheticTokenizer(join(dir, 'tokenizer'), LLAMA_51M.vocabSize);
  const gguf = {};
  for (const dtype of ['F32', 'Q8_0', 'Q4_0']) {
    const file = join(dir, `model-${dtype}.gguf`);
    await exportGguf(weights, file, { tokenizerDir: join(dir, 'tokenizer'), dtype });
    gguf[dtype] = { file, model: await loadLlamaCppModel(file) };
  }
  adapted.dispose();
  model.dispose();
  const prompt = Array.from({ length: 16 }, (_, i) => 3 + ((i * 7919) % 30000));
  const plain = { maxNewTokens: NEW, eosTokenIds: [] };
  const steer = { ...plain, steer: { mu: 0.5 } };
  const candidates = {};
  for (const dtype of ['fp32', 'q8', 'q4']) {
    candidates[`onnx ${dtype}, plain adapted (merged)`] = () =>
      generateAll(onnx[`merged-${dtype}`].createSession(), prompt, plain);
    candidates[`onnx ${dtype}, steered (paired)`] = () =>
      generateAll(onnx[`paired-${dtype}`].createPairedSession(), prompt, steer);
  }
  candidates['onnx q4 accuracy level 0, steered (paired)'] = () =>
    generateAll(onnx['paired-q4-level0'].createPairedSession(), prompt, steer);
  for (const dtype of ['F32', 'Q8_0', 'Q4_0'])
    candidates[`llama.cpp ${dtype}, greedy`] = () =>
      generateAll(gguf[dtype].model.createSession(), prompt, plain);
  const tps = await race(candidates);
  const sizes = {};
  for (const dtype of ['fp32', 'q8', 'q4']) {
    sizes[`onnx ${dtype}, plain adapted (merged)`] = await mb(
      join(dir, `merged-${dtype}`, 'onnx', ONNX_FILE[dtype]),
    );
    sizes[`onnx ${dtype}, steered (paired)`] = await mb(
      join(dir, `paired-${dtype}`, 'onnx', ONNX_FILE[dtype]),
    );
  }
  sizes['onnx q4 accuracy level 0, steered (paired)'] = sizes['onnx q4, steered (paired)'];
  for (const dtype of ['F32', 'Q8_0', 'Q4_0'])
    sizes[`llama.cpp ${dtype}, greedy`] = await mb(gguf[dtype].file);
  const baseline = (name) =>
    name.startsWith('llama.cpp')
      ? 'llama.cpp F32, greedy'
      : name.includes('steered')
        ? 'onnx fp32, steered (paired)'
        : 'onnx fp32, plain adapted (merged)';
  const rows = [];
  for (const [name, t] of Object.entries(tps)) {
    const base = baseline(name);
    const target = name === 'onnx q4, steered (paired)' ? '>= 2' : undefined;
    record({
      group: 'quantized exports, 51.7M random Llama',
      name,
      value: t.median,
      unit: 'tokens/s',
      p10: t.low,
      p90: t.high,
      runs: ROUNDS,
      ...(name === base
        ? {}
        : { baseline: base, baselineValue: tps[base].median, ratio: t.median / tps[base].median }),
      ...(target ? { target } : {}),
    });
    rows.push({
      decoding: name,
      'file (MB)': sizes[name].toFixed(1),
      'tokens/s (slowest-fastest round)': `${t.median.toFixed(1)} (${t.low.toFixed(0)}-${t.high.toFixed(0)})`,
      'vs fp32': (t.median / tps[base].median).toFixed(2),
    });
  }
  console.log(
    `\n51.7M random Llama, 16-token prompt + ${NEW} new tokens, median of ${ROUNDS} interleaved rounds\n`,
  );
  console.log(table(rows));
  for (const m of Object.values(onnx)) m.dispose();
  for (const g of Object.values(gguf)) g.model.dispose();
}

/** Per-row correctness of one subject on one task's test split. */
async function evaluate(subject, tokenizer, task, rows) {
  const metrics =
    taskKind(task) === 'multiple-choice'
      ? await evaluateChoices(subject, tokenizer, rows)
      : await evaluateOpenEnded(subject, tokenizer, rows);
  return metrics.rows.map((r) => (r.isCorrect ? 1 : 0));
}

/**
 * The subjects of an accuracy table: ONNX fp32 / q8 / q4 (q4 with `q4Options`) and, unless
 * `onnxOnly`, llama.cpp F32 / Q8_0 / Q4_0; each a base (plain) model and a paired one with the
 * demo LoRA.
 */
async function subjectsFor(dir, { onnxOnly = false, q4Variants = { q4: {} } } = {}) {
  const lora = await loadLinearAdapter(TINY_DEMO_ADAPTER_DIR);
  const subjects = {};
  const onnx = async (name, dtype, quantization) => {
    await exportOnnx(TINY_MODEL_DIR, join(dir, `plain-${name}`), {
      dtype,
      quantization,
      tokenizerDir: TINY_MODEL_DIR,
    });
    await exportOnnx(TINY_MODEL_DIR, join(dir, `paired-${name}`), {
      dtype,
      quantization,
      adapter: lora,
      paired: true,
    });
    subjects[`onnx ${name}`] = {
      base: await loadOnnxModel(join(dir, `plain-${name}`)),
      paired: await loadOnnxModel(join(dir, `paired-${name}`)),
      size: await mb(join(dir, `plain-${name}`, 'onnx', ONNX_FILE[dtype])),
    };
  };
  await onnx('fp32', 'fp32');
  if (!onnxOnly) await onnx('q8', 'q8');
  for (const [name, quantization] of Object.entries(q4Variants)) await onnx(name, 'q4', quantization);
  if (!onnxOnly) {
    const directory = await loadModelDirectory(TINY_MODEL_DIR, { tokenizer: false });
    await exportGgufLora(lora, directory.config, join(dir, 'lora.gguf'));
    await directory.close();
    for (const dtype of ['F32', 'Q8_0', 'Q4_0']) {
      const file = join(dir, `tiny-${dtype}.gguf`);
      await exportGguf(TINY_MODEL_DIR, file, { dtype, fallback: 'F16' });
      subjects[`llama.cpp ${dtype}`] = {
        base: await loadLlamaCppModel(file),
        paired: await loadLlamaCppModel(file, { lora: join(dir, 'lora.gguf') }),
        size: await mb(file),
      };
    }
  }
  return subjects;
}

/**
 * Per-row correctness of every subject on one split (DECISIONS.md 19): the base model on every
 * task, LoRA + SVDecode on the demo task at the demo steering file's fitted strength.
 */
async function scoresOn(subjects, split) {
  const tokenizer = await loadTokenizer(TINY_MODEL_DIR);
  const steering = JSON.parse(await readFile(TINY_DEMO_STEERING_FILE, 'utf8'));
  const steer = { mu: steering.aggregates.optimal, alpha: steering.alpha }; // the fitted strength, not the guarded 0
  const columns = [...TASKS.map((t) => ['base', t]), ['LoRA + SVDecode', DEMO_TASK]];
  const scores = {};
  for (const [name, s] of Object.entries(subjects)) {
    scores[name] = {};
    for (const [which, task] of columns) {
      const file = taskFile(task, split);
      const subject = which === 'base' ? { model: s.base } : { model: s.paired, steer };
      // calibration rows are prompt/completion text (the template filled in): greedy generation,
      // normalised exact match, as the study scores calibration accuracy
      scores[name][`${which}: ${task}`] =
        split === 'test' && taskKind(task) === 'multiple-choice'
          ? await evaluate(subject, tokenizer, task, await loadMultipleChoiceJsonl(file))
          : (await evaluateOpenEnded(subject, tokenizer, await loadPromptCompletionJsonl(file))).rows.map(
              (r) => (r.isCorrect ? 1 : 0),
            );
    }
  }
  return { scores, mu: steer.mu };
}

const percent = (correct) => (100 * correct.reduce((a, b) => a + b, 0)) / correct.length;

/** The accuracy table: each subject against its format's float reference, with bootstrap intervals. */
function accuracyTable(subjects, scores, split, record_ = true) {
  const rows = [];
  for (const [name, s] of Object.entries(subjects)) {
    const reference = name.startsWith('onnx') ? 'onnx fp32' : 'llama.cpp F32';
    const row = { model: name, 'file (MB)': s.size.toFixed(2) };
    for (const [column, correct] of Object.entries(scores[name])) {
      const acc = percent(correct);
      if (name === reference) {
        row[column] = acc.toFixed(1);
        continue;
      }
      const ref = scores[reference][column];
      const b = pairedBootstrap(correct.map((c, i) => c - ref[i]));
      const pts = (x) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}`;
      row[column] = `${acc.toFixed(1)} (${pts(b.mean)} [${pts(b.interval[0])}, ${pts(b.interval[1])}])`;
      if (record_)
        record({
          group: `quantized exports, embedded tasks (${split} split)`,
          name: `${name}, ${column}`,
          value: acc,
          unit: '% accuracy',
          baseline: reference,
          baselineValue: percent(ref),
          ratio: acc / Math.max(1e-9, percent(ref)),
        });
    }
    rows.push(row);
  }
  return rows;
}

async function accuracy() {
  const subjects = await subjectsFor(join(root, 'tiny'));
  const { scores, mu } = await scoresOn(subjects, 'test');
  console.log(
    `\nembedded tasks, test split, greedy; LoRA + SVDecode at mu = ${mu.toFixed(2)} (the demo steering file's fitted optimum)`,
  );
  console.log(
    'accuracy %, and the change against fp32 / F32 in points [95 % paired bootstrap interval over items]\n',
  );
  console.log(table(accuracyTable(subjects, scores, 'test')));
  for (const s of Object.values(subjects)) {
    s.base.dispose();
    s.paired.dispose();
  }
}

/** DECISIONS.md 20: q4 candidates scored on the calibration splits; the rule picks one. */
const ZERO_POINT_VARIANTS = { 'q4 (a) blocks of 32': {}, 'q4 (d) zero points': { zeroPoints: true } };
const Q4_VARIANTS = {
  'q4 (a) blocks of 32': {},
  'q4 (b) 8-bit head': { headBits: 8 },
  'q4 (c) blocks of 16': { blockSize: 16 },
};
async function variants(candidates = Q4_VARIANTS) {
  const subjects = await subjectsFor(join(root, 'variants'), { onnxOnly: true, q4Variants: candidates });
  const { scores } = await scoresOn(subjects, 'calibration');
  console.log('\nq4 candidates (DECISIONS.md 20), calibration split, accuracy % and change against fp32:\n');
  console.log(table(accuracyTable(subjects, scores, 'calibration', false)));
  const score = {};
  for (const name of Object.keys(candidates)) {
    const cols = Object.keys(scores[`onnx ${name}`]);
    score[name] =
      cols.reduce((sum, c) => sum + percent(scores[`onnx ${name}`][c]) - percent(scores['onnx fp32'][c]), 0) /
      cols.length;
  }
  const names = Object.keys(candidates);
  const best = names.reduce(
    (b, n) =>
      score[n] > score[b] ||
      (score[n] === score[b] && subjects[`onnx ${n}`].size < subjects[`onnx ${b}`].size)
        ? n
        : b,
    names[0],
  );
  const chosen = best !== names[0] && score[best] - score[names[0]] >= 1 ? best : names[0];
  console.log(
    `\nmean change over the five columns: ${names.map((n) => `${n} ${score[n].toFixed(2)}`).join('; ')}`,
  );
  console.log(`rule 20 chooses: ${chosen}`);
  for (const s of Object.values(subjects)) {
    s.base.dispose();
    s.paired.dispose();
  }
  return chosen;
}

/** The chosen candidate's test columns, read once, beside fp32. */
async function variantTest(name, candidates = Q4_VARIANTS) {
  const subjects = await subjectsFor(join(root, 'variant-test'), {
    onnxOnly: true,
    q4Variants: { [name]: candidates[name] },
  });
  const { scores } = await scoresOn(subjects, 'test');
  console.log(`\n${name} (DECISIONS.md 20), test split, accuracy % and change against fp32:\n`);
  console.log(table(accuracyTable(subjects, scores, 'test', false)));
  for (const s of Object.values(subjects)) {
    s.base.dispose();
    s.paired.dispose();
  }
}

// `--part speed` or `--part accuracy` runs one half (default: both); `--part variants` rule 20
const part = process.argv.includes('--part') ? process.argv[process.argv.indexOf('--part') + 1] : 'all';
console.log(`quantized exports — ${machine()}`);
try {
  if (part === 'all' || part === 'speed') await speed();
  if (part === 'all' || part === 'accuracy') await accuracy();
  // DECISIONS.md 20: `--part variants` picks a q4 variant on calibration data and then reads its
  // test columns once
  if (part === 'variants') await variantTest(await variants());
  // DECISIONS.md 22: the zero-point candidate against (a); its test columns are read either way
  if (part === 'zero-points') {
    await variants(ZERO_POINT_VARIANTS);
    await variantTest('q4 (d) zero points', ZERO_POINT_VARIANTS);
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
