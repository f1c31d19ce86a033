export interface Stats {
  median: number;
  p10: number;
  p90: number;
  runs: number;
}
export declare function machine(): string;
export declare function compare(
  candidates: Record<string, () => unknown>,
  options?: { runs?: number; inner?: number; warmup?: number },
): Record<string, Stats>;
export declare function allocationCheck(
  fn: () => unknown,
  steps?: number,
): Promise<{ steps: number; gcs: number; bytesPerStep: number }>;
export declare function table(rows: Array<Record<string, unknown>>): string;
export declare function fmt(ms: number): string;
export interface BenchEntry {
  name: string;
  value: number;
  unit: string;
  baseline?: string;
  baselineValue?: number;
  ratio?: number;
  p10?: number;
  p90?: number;
  runs?: number;
  target?: string;
  group?: string;
  /** Plot series name and x value (a point of a figure in the report). */
  series?: string;
  x?: number;
  /** The figure the point belongs to (default 'decode-vs-length'; see PLOTS in tooling/scripts/bench.mjs). */
  plot?: string;
}
export declare function record(entry: BenchEntry): void;
/** The 51.7M-parameter random-init Llama the benchmarks share (pass it with a seed to randomLlama). */
export declare const LLAMA_51M: Readonly<{
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  intermediateSize: number;
}>;

/** A byte-level BPE tokenizer.json of `size` tokens in `dir` (for random models' GGUF exports). */
export declare function syntheticTokenizer(dir: string, size: number): void;
