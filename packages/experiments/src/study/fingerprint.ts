import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SvdecodeError } from '@svdecode/core';
import { fingerprintModel } from '@svdecode/hf-io';
import { type TaskName, TINY_MODEL_DIR, taskFile } from '@svdecode/tiny';

/**
 * What a run's result depends on besides its spec: the model (weights, config, tokenizer), the
 * task's data files and the code's version. A job carries the coordinator's; a worker compares
 * them with its own and refuses to run on anything else (a silently different run would corrupt
 * the study).
 */
export interface StudyFingerprint {
  model: string;
  data: string;
  version: string;
}

/** This package's directory (from src/ in tests, from dist/ once built). */
export function packageDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir)
      throw new SvdecodeError('INTERNAL', 'cannot find the package.json of @svdecode/experiments');
    dir = up;
  }
  return dir;
}

/** The study worker process's entry (built from worker-process.ts). */
export const studyWorkerEntry = () => join(packageDir(), 'dist', 'study-worker.js');

let version: string | undefined;
/** The version of @svdecode/experiments running here. */
export function studyCodeVersion(): string {
  version ??= String(JSON.parse(readFileSync(join(packageDir(), 'package.json'), 'utf8')).version);
  return version;
}

const sha = (parts: readonly Buffer[]) => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return `sha256:${hash.digest('hex').slice(0, 32)}`;
};

let modelPrint: Promise<string> | undefined;
const dataPrints = new Map<TaskName, Promise<string>>();

/** The fingerprint of the embedded model and one task's data here (cached per process). */
export async function studyFingerprint(task: TaskName): Promise<StudyFingerprint> {
  modelPrint ??= (async () =>
    sha([
      Buffer.from(await fingerprintModel(TINY_MODEL_DIR)),
      await readFile(join(TINY_MODEL_DIR, 'tokenizer.json')),
    ]))();
  let data = dataPrints.get(task);
  if (!data) {
    data = (async () =>
      sha(
        await Promise.all(
          (['train', 'calibration', 'test'] as const).map((split) => readFile(taskFile(task, split))),
        ),
      ))();
    dataPrints.set(task, data);
  }
  return { model: await modelPrint, data: await data, version: studyCodeVersion() };
}

/** The parts of two fingerprints that differ (empty when they match). */
export function fingerprintDifferences(
  expected: StudyFingerprint,
  actual: StudyFingerprint,
): Array<keyof StudyFingerprint> {
  return (['model', 'data', 'version'] as const).filter((k) => expected[k] !== actual[k]);
}
