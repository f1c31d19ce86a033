// Benchmark harness shared by every package's bench/ scripts. Candidates are measured interleaved
// (round-robin) so that machine noise hits them alike, and ratios come from one run.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';

/** Machine description recorded next to every number. */
export function machine() {
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  return `${cpus().length} x ${cpu.trim()}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
}

function summarise(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))];
  return { median: at(0.5), p10: at(0.1), p90: at(0.9), runs: sorted.length };
}

/**
 * Times each candidate `runs` times (after `warmup` untimed calls each), interleaved. Each sample
 * is the mean of `inner` back-to-back calls, in milliseconds.
 * @param {Record<string, () => unknown>} candidates
 * @returns {Record<string, { median: number, p10: number, p90: number, runs: number }>}
 */
export function compare(candidates, { runs = 31, inner = 5, warmup = 5 } = {}) {
  const names = Object.keys(candidates);
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  for (const n of names) for (let i = 0; i < warmup; i++) candidates[n]();
  for (let r = 0; r < runs; r++) {
    for (const n of names) {
      const fn = candidates[n];
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < inner; i++) fn();
      samples[n].push(Number(process.hrtime.bigint() - t0) / 1e6 / inner);
    }
  }
  return Object.fromEntries(names.map((n) => [n, summarise(samples[n])]));
}

/**
 * Steady-state allocation of `fn`: warms it up (so optimisation has settled), then runs it `steps`
 * times after a full GC and reports the heap growth per step and the collections that happened
 * meanwhile (run node with --expose-gc). Zero buffers allocated shows as a few bytes per step at
 * most (V8 may box a handful of doubles); a per-step Float32Array(V) would show as 4 V bytes.
 */
export async function allocationCheck(fn, steps = 1000) {
  for (let i = 0; i < Math.max(200, steps); i++) fn();
  globalThis.gc?.();
  let gcs = 0;
  const observer = new PerformanceObserver((list) => {
    gcs += list.getEntries().length;
  });
  observer.observe({ entryTypes: ['gc'] });
  // two back-to-back windows; the smaller growth excludes one-off costs (observer, late optimisation)
  const used = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const half = Math.max(1, steps >> 1);
  const t0 = used();
  for (let i = 0; i < half; i++) fn();
  const t1 = used();
  for (let i = 0; i < half; i++) fn();
  const t2 = used();
  await new Promise((resolve) => setTimeout(resolve, 50)); // let GC entries arrive
  observer.disconnect();
  // background sweeping can shrink the heap meanwhile: growth below 0 reads as 0
  return {
    steps: 2 * half,
    gcs,
    bytesPerStep: gcs === 0 ? Math.max(0, Math.min(t1 - t0, t2 - t1) / half) : Number.NaN,
  };
}

/** Formats a markdown table from rows of plain objects. */
export function table(rows) {
  if (rows.length === 0) return '';
  const keys = Object.keys(rows[0]);
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [
    line(keys),
    line(keys.map(() => '---')),
    ...rows.map((r) => line(keys.map((k) => String(r[k])))),
  ].join('\n');
}

export const fmt = (ms) => (ms >= 1 ? `${ms.toFixed(2)} ms` : `${(ms * 1000).toFixed(0)} us`);

/**
 * Records one measurement for the aggregated report (`pnpm bench` at the root sets
 * SVDECODE_BENCH_RESULTS to a JSON-lines file; without it this does nothing).
 * @param {{ name: string, value: number, unit: string, baseline?: string, baselineValue?: number,
 *   ratio?: number, p10?: number, p90?: number, runs?: number, target?: string, group?: string }} entry
 */
export function record(entry) {
  const file = process.env.SVDECODE_BENCH_RESULTS;
  if (!file) return;
  appendFileSync(file, `${JSON.stringify({ ...entry, machine: machine() })}\n`);
}

/**
 * The 51.7M-parameter random-init Llama the benchmarks share (d 512, 8 layers, 8 heads / 4 KV heads,
 * V 32000): pass it with a seed to `randomLlama` so every package measures the same model.
 */
export const LLAMA_51M = Object.freeze({
  vocabSize: 32000,
  hiddenSize: 512,
  numLayers: 8,
  numHeads: 8,
  numKvHeads: 4,
  intermediateSize: 1024,
});

/**
 * A byte-level BPE tokenizer.json of `size` tokens in `dir`, for random models whose exports need
 * one (GGUF files carry their tokenizer).
 */
export function syntheticTokenizer(dir, size) {
  const vocab = {};
  for (let i = 0; i < size; i++) vocab[i < 256 ? String.fromCharCode(0x100 + i) : `t${i}`] = i;
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'tokenizer.json'),
    JSON.stringify({
      model: { type: 'BPE', vocab, merges: [] },
      pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, use_regex: true },
      added_tokens: [],
    }),
  );
}
