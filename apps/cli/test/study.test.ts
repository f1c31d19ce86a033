// `svdecode study` and `svdecode worker` end to end through a real Redis (Debian's redis-server on a
// free loopback port): the smallest study (one task, one budget, one seed, four rows) with one
// worker process; and the errors a user meets first.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startRedisServer } from '@svdecode/testkit/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scratch, svdecode } from './run-cli.js';

let redis: Awaited<ReturnType<typeof startRedisServer>>;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

const SMALLEST = [
  '--tasks',
  'capitals-open',
  '--methods',
  'lora',
  '--budgets',
  'd',
  '--seeds',
  '0',
  '--rows',
  '4',
];

describe('svdecode study and svdecode worker', () => {
  it('a study through the queue, run by a worker process, stored and reported', async () => {
    const out = join(scratch(), 'study');
    const worker = svdecode(['worker', '--queue', redis.url, '--queue-name', 'cli', '--concurrency', '1'], {
      onStderr: (text, child) => {
        if (/capitals-open\.lora\.d\.s0\.n4 done/.test(text)) child.kill('SIGTERM');
      },
    });
    const study = await svdecode([
      'study',
      ...SMALLEST,
      '--out',
      out,
      '--queue',
      redis.url,
      '--queue-name',
      'cli',
      '--json',
    ]);
    expect(study.code, study.stderr).toBe(0);
    expect(study.stderr).toMatch(/2 jobs planned, 0 stored, 2 to run through the queue/);
    const summary = JSON.parse(study.stdout);
    expect(summary).toMatchObject({ planned: 2, failures: [], report: { runs: 1 } });
    expect(readdirSync(join(out, 'runs')).sort()).toEqual([
      'base.capitals-open.n4.json',
      'capitals-open.lora.d.s0.n4.json',
    ]);
    const record = JSON.parse(readFileSync(join(out, 'runs', 'capitals-open.lora.d.s0.n4.json'), 'utf8'));
    expect(record).toMatchObject({ task: 'capitals-open', method: 'lora', seed: 0, test: { items: 4 } });
    expect(readFileSync(join(out, 'study.md'), 'utf8')).toMatch(/capitals-open/);
    // the worker stops cleanly on SIGTERM once its run is done
    const w = await worker;
    expect(w.code, w.stderr).toBe(0);
  }, 120_000);

  it('an unreachable Redis: one line with the code and a hint, exit 69, for both commands', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    for (const args of [
      ['worker', '--queue', url],
      ['study', ...SMALLEST, '--out', join(scratch(), 'never'), '--queue', url],
    ]) {
      const r = await svdecode(args);
      expect(r.stderr).toMatch(/^QUEUE_UNREACHABLE: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+/m);
      expect(r.stderr).toMatch(/^ {2}hint: Start Redis/m);
      expect(r.code).toBe(69);
    }
  });

  it('bad study arguments are refused before any work', async () => {
    const r = await svdecode(['study', '--tasks', 'capitals,nope', '--out', join(scratch(), 'never')]);
    expect(r.stderr).toMatch(/^BAD_ARGUMENT: unknown tasks: nope/m);
    expect(r.stderr).toMatch(/hint: Known tasks: capitals, sentiment/);
    expect(r.code).toBe(2);
    const u = await svdecode(['study', ...SMALLEST, '--queue', 'http://127.0.0.1:1']);
    expect(u.stderr).toMatch(/^BAD_ARGUMENT: --queue http:\/\/127\.0\.0\.1:1\/?: not redis:\/\//m);
  });
});
