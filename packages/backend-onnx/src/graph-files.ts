import { join } from 'node:path';
import { fileExists, ONNX_DTYPES, type OnnxDtype } from '@svdecode/hf-io';

export { ONNX_DTYPES, type OnnxDtype };

/** Where an Optimum decoder directory keeps its graph of a dtype, in the order they are looked for. */
function graphFiles(suffix: string): string[] {
  return [
    `onnx/model${suffix}.onnx`,
    `onnx/decoder_model_merged${suffix}.onnx`,
    `model${suffix}.onnx`,
    `decoder_model_merged${suffix}.onnx`,
  ];
}

/**
 * The decoder graph of an Optimum / onnx-community model directory, or undefined when it has none:
 * the graph of `dtype` when given, else fp32, else the first dtype found (fp16, q8, int8, uint8, q4,
 * q4f16, bnb4). External data files (`model.onnx_data`) beside a graph are read by onnxruntime.
 */
export async function findOnnxGraph(dir: string, dtype?: OnnxDtype): Promise<string | undefined> {
  const suffixes = dtype ? [ONNX_DTYPES[dtype]] : [...new Set(Object.values(ONNX_DTYPES))];
  for (const suffix of suffixes)
    for (const candidate of graphFiles(suffix))
      if (await fileExists(join(dir, candidate))) return join(dir, candidate);
  return undefined;
}

/** The dtypes whose graphs a directory holds (for error messages). */
export async function availableDtypes(dir: string): Promise<OnnxDtype[]> {
  const found: OnnxDtype[] = [];
  for (const dtype of Object.keys(ONNX_DTYPES) as OnnxDtype[])
    if (dtype !== 'quantized' && (await findOnnxGraph(dir, dtype))) found.push(dtype);
  return found;
}
