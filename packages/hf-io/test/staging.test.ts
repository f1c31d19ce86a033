import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replaceDirectory, stageDirectory, stageFile, writeFileAtomic } from '../src/index.js';

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

describe('stageDirectory and stageFile', () => {
  it('put a filled directory or file in place; a failure leaves the target as it was and no temporary behind', async () => {
    const root = mkdtempSync(join(tmpdir(), 'svdecode-stage-'));
    const target = join(root, 'dir');
    await stageDirectory(target, async (dir) => writeFileSync(join(dir, 'a.txt'), 'one'));
    expect(readdirSync(target)).toEqual(['a.txt']);
    await expect(
      stageDirectory(target, async (dir) => {
        writeFileSync(join(dir, 'half.txt'), 'x');
        throw new Error('disk full');
      }),
    ).rejects.toThrow('disk full');
    expect(readdirSync(target)).toEqual(['a.txt']);
    await writeFileAtomic(join(root, 'f.json'), '{"v":1}');
    await expect(
      stageFile(join(root, 'f.json'), async (temp) => {
        writeFileSync(temp, 'partial');
        throw new Error('interrupted');
      }),
    ).rejects.toThrow('interrupted');
    expect(readFileSync(join(root, 'f.json'), 'utf8')).toBe('{"v":1}');
    expect(readdirSync(root).sort()).toEqual(['dir', 'f.json']);
  });
});
