import { resolve } from 'node:path';
import { SvdecodeError } from '@svdecode/core';
import { startServer } from '@svdecode/demo-server';
import { checkSteeringMatches, readSteeringFile } from '@svdecode/strength';
import {
  DEMO_TASK,
  demoPageDefaults,
  loadDemoRegime,
  TINY_DEMO_ADAPTER_DIR,
  TINY_DEMO_STEERING_FILE,
} from '@svdecode/tiny';
import { type BackendChoice, openModel, requirePaired } from '../models.js';
import type { CommonFlags } from '../options.js';
import { note } from '../progress.js';

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
  const loaded = await openModel({ ...flags, adapter: adapterDir });
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
  const defaults = embedded ? await demoPageDefaults(regime) : undefined;
  const task = defaults?.task ?? DEMO_TASK;
  const { url } = await startServer(
    {
      adapted: requirePaired(loaded, 'serve'),
      tokenizer: loaded.tokenizer,
      steering,
      ...(defaults ? { defaults: { prompt: defaults.prompt, note: defaults.note } } : {}),
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
