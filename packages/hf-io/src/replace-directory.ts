import { rename, rm } from 'node:fs/promises';
import { fileExists } from './json-file.js';

/**
 * Moves a fully written directory into place, replacing an existing one whole: the old one is
 * renamed aside first, so readers see either the old directory or the new one, never a mix.
 */
export async function replaceDirectory(staged: string, target: string): Promise<void> {
  if (await fileExists(target)) {
    const old = `${target}.old-${process.pid}-${Math.random().toString(36).slice(2)}`;
    await rename(target, old);
    await rename(staged, target);
    await rm(old, { recursive: true, force: true });
  } else {
    await rename(staged, target);
  }
}
