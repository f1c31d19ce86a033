// The study through a real Redis (Debian's redis-server, started here on a free loopback port):
// two worker processes give the same results as the local mode, a worker killed with SIGKILL
// mid-run loses nothing, a stopped coordinator picks up where it was, failures are bounded and
// reported, and an unreachable or refusing Redis is a clear error.
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isSvdecodeError } from '@svdecode/core';
import { tempDir } from '@svdecode/testkit';
import { freePort, startRedisServer } from '@svdecode/testkit/redis';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkRedis,
  type PlanOptions,
  reportStudy,
  runQueued,
  runStudy,
  type StudyEvent,
  StudyStore,
  startStudyWorkers,
  studyFingerprint,
  studyJobs,
  studyPlan,
} from '../src/index.js';

process.env.SVDECODE_QUIET = '1';

/** Two tasks (one open-ended, one multiple-choice), two budgets, two seeds, six rows per split. */
const SMALL: PlanOptions = {
  tasks: ['capitals-open', 'capitals'],
  methods: ['lora'],
  budgets: ['d/10', 'd'],
  seeds: [0, 1],
  rows: 6,
};

/** A record without what depends on the machine's speed. */
const timeless = (text: string) =>
  JSON.stringify(JSON.parse(text), (key, value) =>
    key === 'seconds' || key === 'secondsPerRun' || key === 'demoSecondsPerRun' ? undefined : value,
  );
async function storedRuns(out: string): Promise<Map<string, string>> {
  const store = new StudyStore(out);
  const runs = new Map<string, string>();
  for (const key of await store.keys())
    runs.set(key, timeless(await readFile(join(store.runsDir, `${key}.json`), 'utf8')));
  return runs;
}

let redis: Awaited<ReturnType<typeof startRedisServer>>;
let local: Map<string, string>;
let localDir: string;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `svdecode worker` as its own process (test/worker-host.mjs): one job runner, 3-second locks. */
async function workerHost(name: string): Promise<ChildProcess> {
  const host = fork(new URL('./worker-host.mjs', import.meta.url).pathname, [redis.url, name, '1', '3'], {
    stdio: 'ignore',
  });
  await new Promise<void>((resolve, reject) => {
    host.once('message', () => resolve());
    host.once('exit', (code) => reject(new Error(`the worker host exited with code ${code}`)));
  });
  return host;
}

describe('a small study through BullMQ on a real Redis', () => {
  it('two queue workers store the same runs and report as the local mode', async () => {
    localDir = await tempDir();
    const localSummary = await runStudy({ ...SMALL, out: localDir, workers: 2 });
    expect(localSummary).toMatchObject({ planned: 10, failures: [] });
    local = await storedRuns(localDir);
    expect(local.size).toBe(10);

    const queuedDir = await tempDir();
    const workers = await startStudyWorkers({
      url: redis.url,
      name: 'equal',
      concurrency: 2,
      stdio: 'ignore',
    });
    try {
      await workers.ready;
      const events: StudyEvent[] = [];
      const summary = await runStudy({
        ...SMALL,
        out: queuedDir,
        queue: redis.url,
        queueName: 'equal',
        onEvent: (e) => events.push(e),
      });
      expect(summary).toMatchObject({ planned: 10, failures: [] });
      expect(events[0]).toMatchObject({ type: 'start', mode: 'queue', toRun: 10 });
      expect(events.filter((e) => e.type === 'done')).toHaveLength(10);
      expect(events.at(-1)).toMatchObject({ type: 'done', counts: { done: 10, running: 0, waiting: 0 } });
      expect(await storedRuns(queuedDir)).toEqual(local);
      await reportStudy(localDir, { resamples: 200 });
      await reportStudy(queuedDir, { resamples: 200 });
      const report = async (dir: string) => timeless(await readFile(join(dir, 'study.json'), 'utf8'));
      expect(await report(queuedDir)).toBe(await report(localDir));
      // the tables and the verdict
      expect(await readFile(join(queuedDir, 'study.md'), 'utf8')).toBe(
        await readFile(join(localDir, 'study.md'), 'utf8'),
      );

      // enqueueing the same study again adds nothing: with no store, the results come back from Redis
      const againDir = await tempDir();
      await workers.stop();
      const again = await runStudy({ ...SMALL, out: againDir, queue: redis.url, queueName: 'equal' });
      expect(again.failures).toEqual([]);
      expect(await storedRuns(againDir)).toEqual(local);
      const queue = new Queue('equal', { connection: { host: '127.0.0.1', port: redis.port } });
      expect(await queue.getJobCounts('completed', 'waiting', 'active')).toEqual({
        completed: 10,
        waiting: 0,
        active: 0,
      });
      await queue.close();
    } finally {
      await workers.stop();
    }
  }, 300_000);

  it('a worker killed with SIGKILL mid-run: its run is put back, the study completes with every run once', async () => {
    const name = 'sigkill';
    const out = await tempDir();
    const first = await workerHost(name);
    const events: StudyEvent[] = [];
    const study = runStudy({
      ...SMALL,
      out,
      queue: redis.url,
      queueName: name,
      onEvent: (e) => events.push(e),
    });
    const queue = new Queue(name, { connection: { host: '127.0.0.1', port: redis.port } });
    let second: ChildProcess | undefined;
    try {
      // kill the worker while it runs a study run (not a base job), part way into it
      const victim = await waitFor('an active run', async () => {
        const [active] = await queue.getActive();
        return active && active.data.job.kind === 'run' ? active.id! : undefined;
      });
      await new Promise((r) => setTimeout(r, 300));
      const killed = new Promise((resolve) => first.once('exit', (_code, signal) => resolve(signal)));
      first.kill('SIGKILL');
      expect(await killed).toBe('SIGKILL');
      second = await workerHost(name);
      const summary = await study;
      expect(summary.failures).toEqual([]);
      const runs = await storedRuns(out);
      expect(runs).toEqual(local);
      // each key stored once, each finished once, and the killed run was found stalled and rerun
      expect(
        events
          .filter((e) => e.type === 'done')
          .map((e) => (e as { key: string }).key)
          .sort(),
      ).toEqual([...local.keys()].sort());
      const job = await queue.getJob(victim);
      expect(job!.stalledCounter).toBe(1);
      expect(await job!.getState()).toBe('completed');
    } finally {
      await queue.close();
      if (second) {
        const gone = new Promise((resolve) => second!.once('exit', resolve));
        second.kill('SIGTERM');
        await gone;
      }
    }
  }, 300_000);

  it('a coordinator killed mid-study and started again picks up where it was', async () => {
    const name = 'restart';
    const out = await tempDir();
    const script = new URL('../scripts/study.mjs', import.meta.url).pathname;
    const args = [
      script,
      '--tasks',
      'capitals-open,capitals',
      '--methods',
      'lora',
      '--budgets',
      'd/10,d',
      '--seeds',
      '0,1',
      '--rows',
      '6',
      '--out',
      out,
      '--queue',
      redis.url,
      '--queue-name',
      name,
    ];
    const workers = await startStudyWorkers({ url: redis.url, name, concurrency: 2, stdio: 'ignore' });
    try {
      await workers.ready;
      const coordinator = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      const exited = new Promise((resolve) => coordinator.once('exit', resolve));
      // the first stored result, then the coordinator dies; the workers go on meanwhile
      const store = new StudyStore(out);
      await waitFor('a stored result', async () => ((await store.keys()).size > 0 ? true : undefined));
      coordinator.kill('SIGKILL');
      await exited;
      const before = (await store.keys()).size;
      expect(before).toBeLessThan(10);
      await new Promise((r) => setTimeout(r, 3_000));
      const restarted = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      restarted.stderr.on('data', (c) => {
        stderr += c;
      });
      const code = await new Promise((resolve) => restarted.once('exit', resolve));
      expect(code, stderr).toBe(0);
      expect(stderr).toMatch(
        new RegExp(`10 jobs planned, ${before} stored, ${10 - before} to run through the queue`),
      );
      expect(await storedRuns(out)).toEqual(local);
      expect(stderr).toMatch(/report of 8 runs/);
    } finally {
      await workers.stop();
    }
  }, 300_000);

  it('a run that throws is retried a bounded number of times, then reported failed with its error', async () => {
    const worker = await startStudyWorkers({
      url: redis.url,
      name: 'throws',
      concurrency: 1,
      stdio: 'ignore',
    });
    await worker.ready;
    try {
      const [spec] = studyPlan({ ...SMALL, tasks: ['capitals-open'], budgets: ['d'], seeds: [0] });
      const bad = { ...spec!, key: 'capitals-open.bogus.d.s0.n6', method: 'bogus' as never };
      const events: StudyEvent[] = [];
      const out = await tempDir();
      const { failures } = await runQueued(
        studyJobs([bad]).filter((j) => j.kind === 'run'),
        new StudyStore(out),
        { url: redis.url, name: 'throws', attempts: 3, onEvent: (e) => events.push(e) },
      );
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatchObject({ key: bad.key, attempts: 3 });
      expect(failures[0]!.error).toMatch(/bogus/);
      expect(events.filter((e) => e.type === 'retry').length).toBeGreaterThanOrEqual(1);
      expect((await new StudyStore(out).keys()).size).toBe(0);

      // a job from another model, data or version fails at once, unretried, with the code
      const queue = new Queue('throws', { connection: { host: '127.0.0.1', port: redis.port } });
      const fingerprint = { ...(await studyFingerprint('capitals-open')), data: 'sha256:another' };
      await queue.add(
        'run',
        { job: { kind: 'run', key: spec!.key, spec }, fingerprint },
        { jobId: spec!.key, attempts: 3 },
      );
      // the state first, then the job: a job read before it failed would lack its reason
      const job = await waitFor('the mismatched job to fail', async () =>
        (await queue.getJobState(spec!.key)) === 'failed' ? queue.getJob(spec!.key) : undefined,
      );
      expect(job!.failedReason).toMatch(/^STUDY_FINGERPRINT_MISMATCH: .*data/);
      expect(job!.attemptsMade).toBe(1);
      await queue.close();
    } finally {
      await worker.stop();
    }
  }, 120_000);

  it('an unreachable or refusing Redis is a clear error, not a hang', async () => {
    const port = await freePort();
    const t0 = Date.now();
    const unreachable = await checkRedis(`redis://127.0.0.1:${port}`).catch((e) => e);
    expect(isSvdecodeError(unreachable, 'QUEUE_UNREACHABLE')).toBe(true);
    expect(unreachable.hint).toMatch(/redis-server/);
    expect(Date.now() - t0).toBeLessThan(10_000);

    const locked = await startRedisServer({ password: 's3cret' });
    try {
      const refused = await checkRedis(`redis://127.0.0.1:${locked.port}`).catch((e) => e);
      expect(isSvdecodeError(refused, 'QUEUE_REFUSED')).toBe(true);
      expect(refused.hint).toMatch(/password/);
      const wrong = await checkRedis(`redis://:nope@127.0.0.1:${locked.port}`).catch((e) => e);
      expect(isSvdecodeError(wrong, 'QUEUE_REFUSED')).toBe(true);
      expect(wrong.message).not.toMatch(/nope/);
      await expect(checkRedis(locked.url)).resolves.toMatchObject({ version: expect.stringMatching(/^\d/) });
    } finally {
      await locked.stop();
    }
    for (const url of ['http://127.0.0.1:6379', 'redis://127.0.0.1:6379/x', 'not a url'])
      expect(await checkRedis(url).catch((e) => e.code)).toBe('BAD_ARGUMENT');
    const study = await runStudy({
      ...SMALL,
      out: await tempDir(),
      queue: `redis://127.0.0.1:${port}`,
    }).catch((e) => e);
    expect(isSvdecodeError(study, 'QUEUE_UNREACHABLE')).toBe(true);

    // Redis gone mid-study (no workers: the jobs wait): the coordinator gives up after the outage limit
    const doomed = await startRedisServer();
    const waiting = runQueued(studyJobs(studyPlan(SMALL)), new StudyStore(await tempDir()), {
      url: doomed.url,
      outageSeconds: 2,
    }).catch((e) => e);
    await new Promise((r) => setTimeout(r, 1_500));
    const stopped = Date.now();
    await doomed.stop();
    const gone = await waiting;
    expect(isSvdecodeError(gone, 'QUEUE_UNREACHABLE')).toBe(true);
    expect(Date.now() - stopped).toBeLessThan(15_000);
  }, 60_000);
});
