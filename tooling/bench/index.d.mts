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
