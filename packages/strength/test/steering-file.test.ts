import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkSteeringMatches,
  readSteeringFile,
  STEERING_FORMAT,
  type SteeringFile,
  writeSteeringFile,
} from '../src/index.js';

const file = (muBar: number): SteeringFile => ({
  format: STEERING_FORMAT,
  muBar,
  aggregate: 'optimal',
  alpha: 0.1,
  lambda: Number.NEGATIVE_INFINITY,
  aggregates: { optimal: muBar, mean: 1, median: 1, trimmed: 1, pooled: 1 },
  distribution: {} as SteeringFile['distribution'],
  base: { path: '/m', fingerprint: 'sha256:base' },
  adapter: { path: '/a', fingerprint: 'sha256:adapter' },
  calibration: { data: '/d', rows: 3, tokens: 9, seconds: 1 },
  createdAt: '2026-12-07T00:00:00Z',
});

describe('the steering file', () => {
  it('round-trips (lambda = -Infinity travels as a string) and refuses what is not one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'svdecode-steering-'));
    const path = join(dir, 'steering.json');
    await writeSteeringFile(path, file(0.25));
    expect(await readFile(path, 'utf8')).toContain('"lambda": "-Infinity"');
    expect(await readSteeringFile(path)).toEqual(file(0.25));
    await writeFile(path, '{"format": "other"}');
    await expect(readSteeringFile(path)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await writeFile(path, '{not json');
    await expect(readSteeringFile(path)).rejects.toMatchObject({ code: 'BAD_JSON' });
    await writeFile(path, JSON.stringify({ ...file(0), muBar: 'NaN', lambda: '-Infinity' }));
    await expect(readSteeringFile(path)).rejects.toMatchObject({ code: 'NON_FINITE_STRENGTH' });
    await expect(readSteeringFile(join(dir, 'none.json'))).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
  });

  it('refuses to steer a model or adapter it was not calibrated for', () => {
    const ok = { base: 'sha256:base', adapter: 'sha256:adapter', paired: false };
    expect(() => checkSteeringMatches(file(1), 's.json', ok)).not.toThrow();
    expect(() => checkSteeringMatches(file(1), 's.json', { ...ok, base: 'sha256:other' })).toThrow(
      expect.objectContaining({ code: 'STEERING_MISMATCH', message: expect.stringContaining('base model') }),
    );
    expect(() => checkSteeringMatches(file(1), 's.json', { ...ok, adapter: null })).toThrow(
      expect.objectContaining({
        code: 'STEERING_MISMATCH',
        message: expect.stringContaining('needs the adapter'),
      }),
    );
  });
});
