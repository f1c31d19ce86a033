/** Written by export-onnx next to the graph: which base model and adapter it came from. */
export const EXPORT_PROVENANCE = 'svdecode-export.json';

export interface Provenance {
  base: string;
  adapter: string | null;
  paired: boolean;
}
