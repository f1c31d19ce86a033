#!/usr/bin/env node
// `pnpm bench`: builds, runs every package's bench script, then bench/'s (the comparisons), one after another (each records its
// measurements through @svdecode/bench's `record`), then writes bench/results.json, bench/report.md
// and its figures (bench/decode-vs-length.svg, bench/decode-vs-generated.svg). Each package also prints its own tables as it goes.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const out = join(root, 'bench');
mkdirSync(out, { recursive: true });
const log = join(out, `.results-${process.pid}.jsonl`);
rmSync(log, { force: true });
const started = Date.now();

const pnpm =
  process.env.npm_execpath && /pnpm/.test(process.env.npm_execpath)
    ? [process.execPath, [process.env.npm_execpath]]
    : ['npx', ['-y', 'pnpm@10.34.9']];
const run = (args, env = {}) =>
  execFileSync(pnpm[0], [...pnpm[1], ...args], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });

// `--report-only`: rewrite the report and figures from bench/results.json without running anything
let results;
if (process.argv.includes('--report-only')) {
  results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
} else {
  run(['turbo', 'run', 'build', '--output-logs=errors-only']);
  // each package's own benchmarks, then the root bench/ workspace (the ones that compare packages)
  const packages = [
    ...readdirSync(join(root, 'packages')).map((name) => join(root, 'packages', name)),
    out,
  ].filter(
    (dir) =>
      existsSync(join(dir, 'package.json')) &&
      JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).scripts?.bench,
  );
  const timings = [];
  for (const dir of packages) {
    const name = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name;
    console.log(`\n=== ${name} ===`);
    const t0 = Date.now();
    run(['--filter', name, 'run', 'bench'], { SVDECODE_BENCH_RESULTS: log });
    timings.push({ package: name, seconds: (Date.now() - t0) / 1000 });
  }

  const entries = readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  rmSync(log);
  const machine =
    entries[0]?.machine ?? `${cpus().length} x ${cpus()[0]?.model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`;
  results = {
    date: new Date().toISOString(),
    machine,
    seconds: (Date.now() - started) / 1000,
    packages: timings,
    entries: entries.map(({ machine: m, ...e }) => ({ ...e, machine: m })),
  };
  // the measurements first: a failure while writing the report must not lose a long run
  writeFileSync(join(out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
}

// why a target is missed, where we know (see the packages' READMEs for the measurements behind these)
const MISSES = [
  [
    /onnx q4, steered/,
    "onnxruntime's 4-bit MatMulNBits costs 1.55x for two rows what it costs for one (float32 MatMul 1.18x), so the paired graph's second row takes back much of what 4 bits save; the merged q4 graph is 1.9-2.0x (onnx-export README).",
  ],
  [
    /onnx \(ours\)/,
    "both run the same graph on the same onnxruntime build; our margin is the thread count (onnxruntime's own default, which transformers.js keeps, has run one thread on this 2-core VM in some runs and two in others), and at equal threads the two are level (0.97-1.06x), so a round can fall below 1 on this machine's noise (backend-onnx README).",
  ],
  [
    /onnx, steered \(paired export/,
    "the paired run of two rows costs 1.28x the plain one (kernels +0.24 ms per step at 51.7M, the rest inside onnxruntime's run, not in the KV cache copies: 0.028 ms for two rows, and the binding's time per run is the same for both graphs); with the steering step in the graph (+0.03 ms) the ratio is 0.78-0.79 at 51.7M, and 0.85 needs the paired run at 1.17x (backend-onnx README, 'Where a step's time goes').",
  ],
  [
    /onnx, steered, lazy base/,
    'random init: no step has a one-token confident set, so lazy decoding never skips the base and only adds its per-step confident-set test (O(V) in JavaScript); across the runs of this session the ratio was 0.96-1.23, noise around 1.',
  ],
  [
    /onnx steered, paired decoding/,
    'on the embedded model (V = 2,048) the steering step stays in the WebAssembly kernel (in the graph its nodes cost more than the kernel at this vocabulary); the paired run costs 1.2-1.4x the plain one here, and the per-token work outside onnxruntime is a larger share of a 0.6 ms step (backend-onnx README).',
  ],
  [
    /position 512/,
    'attention over 512 cached keys on single-threaded tfjs-wasm; the ratio sits at the boundary (1.46-1.63x time per token over five runs in the tfjs README).',
  ],
  [
    /lazy base decoding/,
    "lazy base decoding can only skip the steps whose confident set is one token. On this workload (capitals questions, 32 free-running tokens each) those come in short runs between open steps, and on the embedded model a step of the adapted model alone costs nearly as much as the batched paired step, so a catch-up (one more forward) rarely pays for the steps it saves: the cost rule starts few lazy runs and steered decoding stays close to the eager paired ratio. `lazyBase: 'always'` skips every step it can (the 'always' rows, same table) and gains little or loses. The rule does pay where a paired step costs nearly two plain ones and runs are long; in these runs it cost at most 3 % against eager steered decoding (the random-init rows, and the lazy vs eager rows of this group).",
  ],
  [
    /steered \(paired\) vs plain/,
    'tfjs-wasm is single-threaded: a batch of two rows costs close to two rows at this size (d = 512), so steered decoding, which needs both models, runs at about 0.65-0.7x. Pairing still beats two separate sessions (1.2-1.8x, same table).',
  ],
];

// targets: "<= 3" / ">= 0.75 (...)" against the ratio
function verdict(e) {
  if (!e.target || e.ratio === undefined) return '';
  const m = /^(<=|>=)\s*([\d.]+)/.exec(e.target);
  if (!m) return '';
  const goal = Number(m[2]);
  const ok = m[1] === '<=' ? e.ratio <= goal : e.ratio >= goal;
  if (ok) return 'met';
  const by = m[1] === '<=' ? e.ratio / goal : goal / e.ratio;
  return `**missed** by ${((by - 1) * 100).toFixed(0)} %`;
}
const num = (x) =>
  typeof x !== 'number' || !Number.isFinite(x)
    ? '–'
    : Math.abs(x) >= 100
      ? x.toFixed(0)
      : Math.abs(x) >= 1
        ? x.toFixed(2)
        : x.toPrecision(3);
const groups = [...new Set(results.entries.map((e) => e.group ?? 'other'))];
const lines = [
  '# svdecode benchmark report',
  '',
  `${results.date} — ${results.machine} — ${results.seconds.toFixed(0)} s in all. Generated by \`pnpm bench\` from \`bench/results.json\`; ratios are value / baseline measured in the same run; spread is the fastest and slowest run (p10–p90 where a harness gives percentiles).`,
  '',
  '## Targets',
  '',
  'Targets from the project brief (not tests). Ratios are value / baseline; a miss says by how much.',
  '',
  '| measurement | ratio | target | |',
  '| --- | --- | --- | --- |',
  ...results.entries
    .filter((e) => e.target)
    .map((e) => `| ${e.name} (vs ${e.baseline}) | ${num(e.ratio)} | ${e.target} | ${verdict(e)} |`),
  '',
  'Why the misses happen:',
  '',
  ...results.entries
    .filter((e) => verdict(e).startsWith('**missed**'))
    .map(
      (e) =>
        `- ${e.name}: ${MISSES.find(([pattern]) => pattern.test(e.name))?.[1] ?? 'not investigated yet.'}`,
    ),
  '',
];
for (const group of groups) {
  lines.push(
    `## ${group}`,
    '',
    '| measurement | value | spread | baseline | ratio |',
    '| --- | --- | --- | --- | --- |',
  );
  for (const e of results.entries.filter((x) => (x.group ?? 'other') === group)) {
    const spread =
      e.p10 !== undefined ? `${num(e.p10)}–${num(e.p90)}${e.runs ? ` (${e.runs} runs)` : ''}` : '';
    const base = e.baseline ? `${e.baseline}: ${num(e.baselineValue)} ${e.unit}` : '';
    lines.push(
      `| ${e.name} | ${num(e.value)} ${e.unit} | ${spread} | ${base} | ${e.ratio === undefined ? '' : num(e.ratio)} |`,
    );
  }
  lines.push('');
}
// the figures: entries with `series` and `x` are points; `plot` names their figure (default: the first)
const PLOTS = {
  'decode-vs-length': {
    title: 'Tokens/s against sequence length',
    xLabel: 'position (tokens in context)',
  },
  'decode-vs-generated': {
    title: 'Tokens/s against generated length: plain, eager steered, lazy steered (embedded model)',
    xLabel: 'new tokens generated',
  },
};
const pointsOf = (name) =>
  results.entries.filter((e) => e.series !== undefined && (e.plot ?? 'decode-vs-length') === name);
for (const [name, figure] of Object.entries(PLOTS)) {
  if (pointsOf(name).length === 0) continue;
  lines.push(`## ${figure.title}`, '', `![${figure.title}](${name}.svg)`, '');
}
lines.push(
  '## Time per package',
  '',
  '| package | seconds |',
  '| --- | --- |',
  ...results.packages.map((t) => `| ${t.package} | ${t.seconds.toFixed(0)} |`),
  '',
);

// the plot: tokens/s against position, one line per series
function plot(points, xLabel) {
  const series = [...new Set(points.map((p) => p.series))];
  const W = 640;
  const H = 360;
  const pad = { l: 60, r: 120, t: 20, b: 40 };
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.value);
  const xMax = Math.max(...xs);
  const yMax = Math.max(...ys) * 1.1;
  const X = (x) => pad.l + (x / xMax) * (W - pad.l - pad.r);
  const Y = (y) => H - pad.b - (y / yMax) * (H - pad.t - pad.b);
  const colours = ['#3b6fd8', '#d8613b', '#3bd88a', '#9a3bd8'];
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<line x1="${pad.l}" y1="${H - pad.b}" x2="${W - pad.r}" y2="${H - pad.b}" stroke="black"/>`,
    `<line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${H - pad.b}" stroke="black"/>`,
    `<text x="${(W - pad.r + pad.l) / 2}" y="${H - 8}" text-anchor="middle">${xLabel}</text>`,
    `<text x="14" y="${H / 2}" transform="rotate(-90 14 ${H / 2})" text-anchor="middle">tokens/s</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const y = (yMax * i) / 4;
    parts.push(`<text x="${pad.l - 6}" y="${Y(y) + 4}" text-anchor="end">${y.toFixed(0)}</text>`);
  }
  for (const x of [...new Set(xs)])
    parts.push(`<text x="${X(x)}" y="${H - pad.b + 16}" text-anchor="middle">${x}</text>`);
  series.forEach((s, i) => {
    const pts = points.filter((p) => p.series === s).sort((a, b) => a.x - b.x);
    parts.push(
      `<polyline fill="none" stroke="${colours[i % 4]}" stroke-width="2" points="${pts.map((p) => `${X(p.x)},${Y(p.value)}`).join(' ')}"/>`,
    );
    for (const p of pts)
      parts.push(`<circle cx="${X(p.x)}" cy="${Y(p.value)}" r="3" fill="${colours[i % 4]}"/>`);
    parts.push(
      `<text x="${W - pad.r + 10}" y="${pad.t + 16 * (i + 1)}" fill="${colours[i % 4]}">${s}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

const atomic = (file, text) => {
  const temp = `${file}.tmp-${process.pid}`;
  writeFileSync(temp, text);
  renameSync(temp, file);
};
for (const [name, figure] of Object.entries(PLOTS)) {
  const points = pointsOf(name);
  if (points.length > 0) atomic(join(out, `${name}.svg`), `${plot(points, figure.xLabel)}\n`);
}
atomic(join(out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
// the hand-kept run log survives the rewrite: dated notes live there, not in READMEs
const runLog = join(out, 'run-log.md');
if (existsSync(runLog)) lines.push('', readFileSync(runLog, 'utf8').replace(/^# /, '## ').trimEnd(), '');
atomic(join(out, 'report.md'), lines.join('\n'));
console.log(
  `\nbench: ${results.entries.length} measurements in ${results.seconds.toFixed(0)} s -> bench/results.json, bench/report.md and its figures`,
);
