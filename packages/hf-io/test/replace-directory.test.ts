import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replaceDirectory } from '../src/index.js';

describe('replaceDirectory', () => {
  it('moves a staged directory into place, and replaces an existing one whole', async () => {
    const root = mkdtempSync(join(tmpdir(), 'svdecode-replace-'));
    const target = join(root, 'out');
    const stage = (name: string, files: Record<string, string>) => {
      const dir = join(root, name);
      mkdirSync(dir);
      for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
      return dir;
    };
    await replaceDirectory(stage('a', { 'x.txt': 'first', 'only-in-first.txt': '1' }), target);
    expect(readFileSync(join(target, 'x.txt'), 'utf8')).toBe('first');
    await replaceDirectory(stage('b', { 'x.txt': 'second' }), target);
    // the new directory whole: nothing of the old one is left in it, and nothing beside it
    expect(readdirSync(target)).toEqual(['x.txt']);
    expect(readFileSync(join(target, 'x.txt'), 'utf8')).toBe('second');
    expect(readdirSync(root)).toEqual(['out']);
  });
});
