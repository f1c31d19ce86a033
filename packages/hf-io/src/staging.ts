import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileExists } from './json-file.js';

// Every file and directory svdecode writes goes through here: written in full under a temporary
// sibling name, then renamed into place, so that a reader or a crash never sees half an output.

/** A unique temporary sibling of `target` (same directory, so the rename stays on one filesystem). */
export function stagingPath(target: string, kind = 'tmp'): string {
  return `${resolve(target)}.${kind}-${process.pid}-${Math.random().toString(36).slice(2)}`;
}

/**
 * Moves a fully written directory into place, replacing an existing one whole: the old one is
 * renamed aside first, so readers see either the old directory or the new one, never a mix.
 */
export async function replaceDirectory(staged: string, target: string): Promise<void> {
  if (await fileExists(target)) {
    const old = stagingPath(target, 'old');
    await rename(target, old);
    await rename(staged, target);
    await rm(old, { recursive: true, force: true });
  } else {
    await rename(staged, target);
  }
}

/** Runs `write(temp)` to fill a temporary file, then renames it to `path`; on failure removes it. */
export async function stageFile(path: string, write: (temp: string) => Promise<void>): Promise<void> {
  const target = resolve(path);
  await mkdir(dirname(target), { recursive: true });
  const temp = stagingPath(target);
  try {
    await write(temp);
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Writes a whole file via a temporary sibling and a rename. */
export function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  return stageFile(path, (temp) => writeFile(temp, data));
}

/**
 * Runs `fill(dir)` on a fresh temporary directory, then puts it in place of `target` whole
 * (`replaceDirectory`); on failure removes it and leaves `target` as it was.
 */
export async function stageDirectory(target: string, fill: (dir: string) => Promise<void>): Promise<void> {
  const resolved = resolve(target);
  await mkdir(dirname(resolved), { recursive: true });
  const temp = stagingPath(resolved);
  await mkdir(temp);
  try {
    await fill(temp);
    await replaceDirectory(temp, resolved);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
}
