import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type Provenance, SvdecodeError } from '@svdecode/core';
import { writeFileAtomic } from '@svdecode/hf-io';
import {
  AGGREGATES,
  type AggregateName,
  type CrossValidation,
  type StrengthDecision,
} from './cross-validation.js';
import type { StrengthCoverage, StrengthSummary } from './estimator.js';

/**
 * The steering file (`steering.json`): the calibrated strength with what it was calibrated for (the
 * fingerprints of the base model and the adapter) and how it was decided. `svdecode calibrate`
 * writes it; `generate`, `eval` and `serve` read it and refuse one made for another model.
 */
export const STEERING_FORMAT = 'svdecode-steering/1';

export interface SteeringFile {
  format: typeof STEERING_FORMAT;
  muBar: number;
  aggregate: AggregateName;
  alpha: number;
  lambda: number;
  aggregates: Record<AggregateName, number>;
  /** How muBar was decided (the held-out guard); absent in files written before it existed. */
  decision?: StrengthDecision;
  /** Held-out estimates of every aggregate; absent in older files, null with fewer than 2 rows. */
  crossValidation?: CrossValidation | null;
  coverage?: StrengthCoverage;
  distribution: Omit<
    StrengthSummary,
    'mean' | 'median' | 'trimmed' | 'pooled' | 'optimal' | 'crossValidation' | 'decision' | 'coverage'
  >;
  base: { path: string; fingerprint: string };
  adapter: { path: string; fingerprint: string };
  calibration: { data: string; rows: number; tokens: number; seconds: number };
  createdAt: string;
}

// JSON has no Infinity/NaN: they travel as strings
const encode = (_key: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v);
const decode = (_key: string, v: unknown) =>
  v === 'Infinity' || v === '-Infinity' || v === 'NaN' ? Number(v) : v;

/** JSON with non-finite numbers as strings ("Infinity"), as steering files and --json output write them. */
export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, encode, indent);
}

/** Every aggregate's value from a calibration summary. */
export function aggregatesOf(summary: StrengthSummary): Record<AggregateName, number> {
  return Object.fromEntries(AGGREGATES.map((a) => [a, summary[a]])) as Record<AggregateName, number>;
}

export async function writeSteeringFile(path: string, steering: SteeringFile): Promise<void> {
  await writeFileAtomic(path, `${toJson(steering, 2)}\n`);
}

export async function readSteeringFile(path: string): Promise<SteeringFile> {
  const file = resolve(path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new SvdecodeError('FILE_NOT_FOUND', `${file}: cannot read the steering file`, {
      hint: 'Pass the steering.json that `svdecode calibrate` wrote.',
      details: { file },
      cause: error,
    });
  }
  let json: SteeringFile;
  try {
    json = JSON.parse(text, decode) as SteeringFile;
  } catch (error) {
    throw new SvdecodeError('BAD_JSON', `${file}: not valid JSON (${(error as Error).message})`, {
      details: { file },
    });
  }
  if (json?.format !== STEERING_FORMAT)
    throw new SvdecodeError(
      'CONFIG_INVALID',
      `${file}: not a steering file (format must be "${STEERING_FORMAT}")`,
      {
        hint: 'Pass the steering.json that `svdecode calibrate` wrote.',
        details: { file, field: 'format' },
      },
    );
  if (!Number.isFinite(json.muBar))
    throw new SvdecodeError('NON_FINITE_STRENGTH', `${file}: mu_bar is ${json.muBar}`, {
      details: { file, field: 'muBar' },
    });
  return json;
}

/** Refuses a steering file calibrated for another base model or adapter. */
export function checkSteeringMatches(steering: SteeringFile, file: string, provenance: Provenance): void {
  const mismatch =
    steering.base.fingerprint !== provenance.base
      ? `base model (${steering.base.path})`
      : steering.adapter.fingerprint !== provenance.adapter
        ? provenance.adapter === null
          ? `setup: it needs the adapter ${steering.adapter.path} (none was given)`
          : `adapter (it was made with ${steering.adapter.path})`
        : undefined;
  if (mismatch) {
    throw new SvdecodeError('STEERING_MISMATCH', `${file} was calibrated for another ${mismatch}`, {
      details: {
        file,
        expected: { base: steering.base.fingerprint, adapter: steering.adapter.fingerprint },
        got: provenance,
      },
    });
  }
}
