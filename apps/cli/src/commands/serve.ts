import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SvdecodeError } from '@svdecode/core';
import { startServer } from '@svdecode/demo-server';
import {
  DEMO_TASK,
  loadDemoRegime,
  TINY_DEMO_ADAPTER_DIR,
  TINY_DEMO_STEERING_FILE,
  taskFile,
} from '@svdecode/tiny';
import { type BackendChoice, openModel, requirePaired } from '../models.js';
import type { CommonFlags } from '../options.js';
import { note } from '../progress.js';
import { checkSteeringMatches, readSteeringFile } from '../steering-file.js';

export interface ServeFlags extends CommonFlags {
  model: string;
  adapter?: string;
  steering?: string;
  host: string;
  port: number;
  maxActive: number;
  maxQueued: number;
  backend?: BackendChoice;
  dtype?: string;
}

/**
 * The page's opening prompt on the embedded model: the demo task's first calibration question in
 * its own format (never a test question), and a line on the regime the study chose.
 */
async function embeddedDefaults(
  task: string,
  regime: Awaited<ReturnType<typeof loadDemoRegime>>,
): Promise<{ prompt: string; note: string }> {
  const first = (await readFile(taskFile(task as never, 'calibration'), 'utf8')).split('\n')[0]!;
  const prompt = (JSON.parse(first) as { prompt: string }).prompt;
  const note = regime
    ? regime.found
      ? `Demo regime (chosen on calibration data): ${task}, LoRA at warm-start budget ${regime.budget}. ${regime.verdict}`
      : `The study found no regime where steering helps on calibration data; showing ${task} at the default budget. ${regime.verdict}`
    : `Demo task ${task}.`;
  return { prompt, note };
}

/** Starts the demo server; on the embedded model it defaults to the committed demo adapter and steering file. */
export async function serveCommand(flags: ServeFlags): Promise<void> {
  // a paired ONNX export carries its adapter; every other model needs one
  const onnx = flags.backend === 'onnx';
  const embedded = flags.model === 'tiny' && flags.adapter === undefined && !onnx;
  const adapterDir = flags.adapter ?? (embedded ? TINY_DEMO_ADAPTER_DIR : undefined);
  const steeringPath = flags.steering ?? (embedded ? TINY_DEMO_STEERING_FILE : undefined);
  if (!adapterDir && !onnx) {
    throw new SvdecodeError('BAD_ARGUMENT', 'serve needs --adapter for a model other than tiny', {
      hint: 'The page compares PEFT alone with PEFT + SVDecode; make an adapter with svdecode warmstart.',
    });
  }
  const loaded = await openModel(flags.model, {
    adapter: adapterDir,
    backend: flags.backend,
    dtype: flags.dtype,
    quiet: flags.quiet,
  });
  let steering = null;
  if (steeringPath) {
    const file = await readSteeringFile(steeringPath);
    checkSteeringMatches(file, steeringPath, loaded.provenance);
    steering = {
      muBar: file.muBar,
      alpha: file.alpha,
      aggregate: file.aggregate,
      count: file.distribution.count,
      histogram: file.distribution.histogram,
      decision: file.decision ?? null,
    };
  }
  const regime = embedded ? await loadDemoRegime() : null;
  const task = regime?.task ?? DEMO_TASK;
  const { url } = await startServer(
    {
      adapted: requirePaired(loaded, 'serve'),
      tokenizer: loaded.tokenizer,
      steering,
      ...(embedded ? { defaults: await embeddedDefaults(task, regime) } : {}),
      description: {
        model: flags.model === 'tiny' ? 'tiny (embedded)' : loaded.dir,
        adapter: embedded
          ? `tiny demo LoRA (${task}${regime ? `, budget ${regime.budget}` : ''})`
          : adapterDir
            ? resolve(adapterDir)
            : 'in the paired export',
        steeringFile: steeringPath ? resolve(steeringPath) : null,
        backend: loaded.backend,
      },
    },
    {
      host: flags.host,
      port: flags.port,
      limits: { maxActive: flags.maxActive, maxQueued: flags.maxQueued },
    },
  );
  note(`svdecode demo server on ${url} (Ctrl-C or SIGTERM stops it)`, flags.quiet);
  // keep running: the server owns the process until a signal shuts it down
  await new Promise(() => {});
}
