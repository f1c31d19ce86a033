import { resolve } from 'node:path';
import { checkpointWeights } from '@svdecode/backend-tfjs';
import { SvdecodeError } from '@svdecode/core';
import { fingerprintModel } from '../fingerprint.js';
import { openTfjsModel, resolveModelDir } from '../models.js';
import type { CommonFlags } from '../options.js';
import { note } from '../progress.js';
import { writeExport } from '../write-export.js';

export interface ExportFlags extends CommonFlags {
  model: string;
  adapter?: string;
  paired?: boolean;
  out: string;
}

/** Exports the model (adapter merged, or kept as a paired branch) to the Optimum ONNX layout. */
export async function exportOnnxCommand(flags: ExportFlags): Promise<void> {
  if (flags.paired && !flags.adapter)
    throw new SvdecodeError('BAD_ARGUMENT', '--paired needs --adapter', {
      hint: 'A paired export keeps the adapter as a branch next to the base weights.',
    });
  const target = resolve(flags.out);
  const started = performance.now();
  if (flags.adapter) {
    // the adapter is loaded by the tfjs runtime; the exporter reads it through linearDelta()
    const loaded = await openTfjsModel(flags.model, { adapter: flags.adapter, quiet: flags.quiet });
    try {
      await writeExport(checkpointWeights(loaded.base), target, {
        adapter: loaded.paired!.adapter,
        paired: flags.paired,
        tokenizerDir: loaded.dir,
        provenance: { ...loaded.provenance, paired: flags.paired === true },
      });
    } finally {
      loaded.dispose();
    }
  } else {
    const dir = resolveModelDir(flags.model);
    await writeExport(dir, target, {
      tokenizerDir: dir,
      provenance: { base: await fingerprintModel(dir), adapter: null, paired: false },
    });
  }
  const seconds = (performance.now() - started) / 1000;
  const kind = flags.paired ? 'paired (adapter_scale input)' : flags.adapter ? 'adapter merged' : 'plain';
  if (flags.json) process.stdout.write(`${JSON.stringify({ out: target, kind, seconds })}\n`);
  else note(`exported ${kind} model to ${target} (onnx/model.onnx) in ${seconds.toFixed(1)} s`);
}
