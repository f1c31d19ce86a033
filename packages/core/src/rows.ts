/**
 * A prompt/completion row as token ids: warm-start trains on the completion tokens, calibration
 * takes its targets from them; the prompt is context only.
 */
export interface TokenizedRow {
  prompt: readonly number[];
  completion: readonly number[];
}
