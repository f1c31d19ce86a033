import { resolve } from 'node:path';
import { SvdecodeError } from '@svdecode/core';
import { evaluateChoices, evaluateOpenEnded, evaluateTruthfulQa, type ModelUnderTest } from '@svdecode/eval';
import { type Dataset, loadDataset } from '../data.js';
import { type BackendChoice, type OpenedModel, openModel, requirePaired } from '../models.js';
import type { CommonFlags } from '../options.js';
import { note } from '../progress.js';
import { resolveSteering, type SteeringFlags } from '../steering-source.js';
import { decisionLine } from '../strength-report.js';

export interface EvalFlags extends CommonFlags, SteeringFlags {
  model: string;
  /** Absent: the base model alone, without steering. */
  adapter?: string;
  data: string;
  compare?: boolean;
  limit?: number;
  backend?: BackendChoice;
  dtype?: string;
}

type Metrics = Record<string, number>;

async function evaluate(data: Dataset, decoder: ModelUnderTest, loaded: OpenedModel): Promise<Metrics> {
  const { tokenizer } = loaded;
  switch (data.format) {
    case 'multiple-choice': {
      const m = await evaluateChoices(decoder, tokenizer, data.rows);
      return { accuracy: m.accuracy, likelihoodAccuracy: m.likelihoodAccuracy! };
    }
    case 'prompt-completion':
      return { exactMatch: (await evaluateOpenEnded(decoder, tokenizer, data.rows)).accuracy };
    case 'truthfulqa':
      return (await evaluateTruthfulQa(decoder.model, tokenizer, data.items, { steer: decoder.steer }))
        .metrics;
  }
}

function limited(data: Dataset, limit: number | undefined): Dataset {
  if (limit === undefined) return data;
  return data.format === 'truthfulqa'
    ? { ...data, items: data.items.slice(0, limit) }
    : ({ ...data, rows: data.rows.slice(0, limit) } as Dataset);
}

const size = (d: Dataset) => (d.format === 'truthfulqa' ? d.items.length : d.rows.length);

/** Scores a test file with the adapted model steered by mu_bar (and, with --compare, without steering). */
export async function evalCommand(flags: EvalFlags): Promise<void> {
  const data = limited(await loadDataset(flags.data), flags.limit);
  const loaded = await openModel(flags);
  try {
    if (!loaded.paired) return await evaluateBase(flags, data, loaded);
    const steering = await resolveSteering(flags, loaded.provenance);
    // --no-steer: the adapted model alone (mu = 0 means no steering, everywhere)
    if (!steering && !flags.compare && flags.steer !== false)
      throw new SvdecodeError(
        'BAD_ARGUMENT',
        'eval needs --steering <file> or --mu <number> (or --compare, or --no-steer)',
        {
          hint: 'Run svdecode calibrate to make a steering file, or pass --no-steer to evaluate the adapted model unsteered.',
        },
      );
    const adapted = requirePaired(loaded, 'eval');
    note(`evaluating ${size(data)} ${data.format} rows of ${flags.data}`, flags.quiet);
    const plain = flags.compare || !steering ? await evaluate(data, { model: adapted }, loaded) : undefined;
    const steered = steering
      ? await evaluate(data, { model: adapted, steer: { mu: steering.mu, alpha: steering.alpha } }, loaded)
      : undefined;
    const out = {
      data: resolve(flags.data),
      format: data.format,
      rows: size(data),
      muBar: steering?.mu ?? null,
      alpha: steering?.alpha ?? null,
      steering: steering?.source ?? null,
      decision: steering?.decision ?? null,
      plain: plain ?? null,
      steered: steered ?? null,
    };
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(out)}\n`);
      return;
    }
    const names = Object.keys(plain ?? steered!);
    const pct = (x: number | undefined) => (x === undefined ? '' : (100 * x).toFixed(1).padStart(8));
    const lines = [
      `${'metric'.padEnd(30)}${plain ? 'PEFT'.padStart(8) : ''}${steered ? `${'+SVDecode'.padStart(11)}` : ''}`,
      ...names.map(
        (n) => `${n.padEnd(30)}${plain ? pct(plain[n]) : ''}${steered ? `   ${pct(steered[n])}` : ''}`,
      ),
    ];
    if (steering?.decision)
      lines.push(`${decisionLine(steering.decision)} (alpha ${steering.alpha}, ${steering.source})`);
    else if (steering)
      lines.push(`mu_bar ${steering.mu.toPrecision(5)} (alpha ${steering.alpha}) from ${steering.source}`);
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    loaded.dispose();
  }
}

/** The base model alone (no adapter): steering needs an adapted model, so there is none. */
async function evaluateBase(flags: EvalFlags, data: Dataset, loaded: OpenedModel): Promise<void> {
  if (flags.steering !== undefined || flags.mu !== undefined || flags.compare)
    throw new SvdecodeError('BAD_ARGUMENT', '--steering, --mu and --compare need --adapter', {
      hint: 'Without --adapter, eval scores the base model alone.',
    });
  note(`evaluating the base model on ${size(data)} ${data.format} rows of ${flags.data}`, flags.quiet);
  const base = await evaluate(data, { model: loaded.base }, loaded);
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify({ data: resolve(flags.data), format: data.format, rows: size(data), model: 'base', base })}\n`,
    );
    return;
  }
  const pct = (x: number) => (100 * x).toFixed(1).padStart(8);
  const lines = [
    `${'metric'.padEnd(30)}${'base'.padStart(8)}`,
    ...Object.entries(base).map(([n, v]) => `${n.padEnd(30)}${pct(v)}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
