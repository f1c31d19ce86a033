import { resolve } from 'node:path';
import { SvdecodeError } from '@svdecode/core';
import { fingerprintAdapter, fingerprintModel, ONNX_DTYPES } from '@svdecode/hf-io';
import { loadLinearAdapter } from '@svdecode/peft-tfjs';
import { resolveModelDir } from '../models.js';
import type { CommonFlags } from '../options.js';
import { note } from '../progress.js';
import { writeExport } from '../write-export.js';

export interface ExportFlags extends CommonFlags {
  model: string;
  adapter?: string;
  paired?: boolean;
  steeringInGraph?: boolean;
  externalData?: boolean;
  logitsToKeep?: boolean;
  dtype?: 'fp32' | 'q8' | 'q4';
  quantizeEmbeddings?: boolean;
  out: string;
}

/** Exports the model (adapter merged, or kept as a paired branch) to the Optimum ONNX layout. */
export async function exportOnnxCommand(flags: ExportFlags): Promise<void> {
  if (flags.steeringInGraph === true && !flags.paired)
    throw new SvdecodeError('BAD_ARGUMENT', '--steering-in-graph needs --paired', {
      hint: 'The steering step compares the base and adapted rows of a paired export: add --paired --adapter <dir>.',
    });
  if (flags.quantizeEmbeddings && (flags.dtype ?? 'fp32') === 'fp32')
    throw new SvdecodeError('BAD_ARGUMENT', '--quantize-embeddings needs --dtype q8 or q4', {
      hint: 'Add --dtype q4 (or q8): the embedding table is quantized like the weights.',
    });
  if (flags.paired && !flags.adapter)
    throw new SvdecodeError('BAD_ARGUMENT', '--paired needs --adapter', {
      hint: 'A paired export keeps the adapter as a branch next to the base weights.',
    });
  const target = resolve(flags.out);
  const started = performance.now();
  // straight from the files: the weights from safetensors, the adapter's linear deltas from its
  // PEFT files; no tensor library is loaded
  const dir = resolveModelDir(flags.model);
  await writeExport(dir, target, {
    adapter: flags.adapter ? await loadLinearAdapter(resolve(flags.adapter)) : undefined,
    paired: flags.paired,
    steering: flags.steeringInGraph,
    externalData: flags.externalData,
    logitsToKeep: flags.logitsToKeep,
    dtype: flags.dtype,
    ...(flags.quantizeEmbeddings ? { quantization: { embeddings: true } } : {}),
    tokenizerDir: dir,
    provenance: {
      base: await fingerprintModel(dir),
      adapter: flags.adapter ? await fingerprintAdapter(resolve(flags.adapter)) : null,
      paired: flags.paired === true,
    },
  });
  const seconds = (performance.now() - started) / 1000;
  const kind = flags.paired ? 'paired (adapter_scale input)' : flags.adapter ? 'adapter merged' : 'plain';
  const file = `onnx/model${ONNX_DTYPES[flags.dtype ?? 'fp32']}.onnx`;
  if (flags.json)
    process.stdout.write(`${JSON.stringify({ out: target, kind, dtype: flags.dtype ?? 'fp32', seconds })}\n`);
  else note(`exported ${kind} model to ${target} (${file}) in ${seconds.toFixed(1)} s`);
}
