import { resolve } from 'node:path';
import { loadTfjsModel } from '@svdecode/backend-tfjs';
import { SvdecodeError } from '@svdecode/core';
import { encodeRows } from '@svdecode/eval';
import { loadTokenizer } from '@svdecode/hf-io';
import {
  AdaptedModel,
  createAdapter,
  defaultAdapterConfig,
  type Method,
  warmStart,
} from '@svdecode/peft-tfjs';
import { asPromptCompletion, loadDataset } from '../data.js';
import { interruptSignal } from '../interrupt.js';
import { checkSource, resolveModelDir } from '../models.js';
import type { CommonFlags } from '../options.js';
import { createProgress, note } from '../progress.js';

export interface WarmstartFlags extends CommonFlags {
  model: string;
  data: string;
  method: Method;
  out: string;
  epochs: number;
  lr: number;
  batchSize: number;
  gradAccum: number;
  maxLength: number;
  seed: number;
}

/** Trains a fresh adapter of the chosen method on prompt/completion rows and saves it (PEFT layout). */
export async function warmstartCommand(flags: WarmstartFlags): Promise<void> {
  const rows = asPromptCompletion(await loadDataset(flags.data), flags.data);
  // training runs on tfjs (gradients): the model is opened there directly, not through the registry
  const dir = resolveModelDir(flags.model);
  await checkSource(dir, 'tfjs');
  const tokenizer = await loadTokenizer(dir);
  const model = await loadTfjsModel(dir);
  const adapted = new AdaptedModel(
    model,
    createAdapter(model, defaultAdapterConfig(flags.method, model), { seed: flags.seed, tokenizer }),
  );
  const signal = interruptSignal();
  const progress = createProgress('warm-start', flags);
  try {
    const result = await warmStart(adapted, encodeRows(tokenizer, rows), {
      epochs: flags.epochs,
      learningRate: flags.lr,
      batchSize: flags.batchSize,
      gradAccum: flags.gradAccum,
      maxLength: flags.maxLength,
      seed: flags.seed,
      saveTo: resolve(flags.out),
      baseModelName: dir,
      signal,
      onProgress: (p) =>
        progress.update({
          done: p.step,
          total: p.totalSteps,
          detail: `loss ${p.loss.toFixed(3)}  ${Math.round(p.tokensPerSecond)} tok/s`,
          etaSeconds: p.etaSeconds,
        }),
    });
    progress.stop();
    const summary = {
      adapter: resolve(flags.out),
      method: flags.method,
      steps: result.steps,
      tokens: result.tokens,
      seconds: result.seconds,
      tokensPerSecond: result.tokensPerSecond,
      firstLoss: result.losses[0] ?? null,
      lastLoss: result.losses.at(-1) ?? null,
      interrupted: result.interrupted,
    };
    if (flags.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else
      note(
        `${flags.method} adapter saved to ${summary.adapter}: ${result.steps} steps, ${result.tokens} tokens in ${result.seconds.toFixed(1)} s (${Math.round(result.tokensPerSecond)} tok/s), loss ${summary.firstLoss?.toFixed(3)} -> ${summary.lastLoss?.toFixed(3)}`,
      );
    if (result.interrupted)
      throw new SvdecodeError('ABORTED', `warm-start interrupted after ${result.steps} steps`, {
        hint: `The adapter was saved as it is in ${summary.adapter}; run warmstart again to train it fully.`,
      });
  } finally {
    progress.stop();
    adapted.dispose();
    model.dispose();
  }
}
