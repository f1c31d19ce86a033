// The small study (two tasks, two budgets, two seeds, LoRA, 8 rows per split: 8 runs + 2 base jobs)
// in the local mode and through BullMQ on a local redis-server (Debian's, started here), with one
// and with two worker processes. Wall time from starting the workers (model loads included) to the
// last result stored; each setting three times, interleaved. Ratios: queue / local at
// the same number of processes (what the queue costs), and two processes / one. Best of three rounds.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machine, record, table } from '@svdecode/bench';
import { startRedisServer } from '@svdecode/testkit/redis';
import { runStudy, startStudyWorkers } from '../dist/index.js';

process.env.SVDECODE_QUIET = '1';
const SMALL = {
  tasks: ['capitals-open', 'capitals'],
  methods: ['lora'],
  budgets: ['d/10', 'd'],
  seeds: [0, 1],
  rows: 8,
};
const ROUNDS = 3;

console.log(`study through a queue — ${machine()}\n`);
const redis = await startRedisServer();
let queueRound = 0;

async function timed(mode, workers) {
  const out = await mkdtemp(join(tmpdir(), 'svdecode-study-bench-'));
  const t0 = performance.now();
  try {
    if (mode === 'local') {
      const s = await runStudy({ ...SMALL, out, workers });
      if (s.failures.length) throw new Error(JSON.stringify(s.failures));
    } else {
      const name = `bench-${queueRound++}`; // a fresh queue: nothing reused from an earlier round
      const pool = await startStudyWorkers({ url: redis.url, name, concurrency: workers, stdio: 'ignore' });
      try {
        await pool.ready;
        const s = await runStudy({ ...SMALL, out, queue: redis.url, queueName: name });
        if (s.failures.length) throw new Error(JSON.stringify(s.failures));
      } finally {
        await pool.stop();
      }
    }
    return (performance.now() - t0) / 1000;
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

const settings = [
  ['local', 1],
  ['queue', 1],
  ['local', 2],
  ['queue', 2],
];
const times = new Map(settings.map(([m, w]) => [`${m}${w}`, []]));
try {
  for (let round = 0; round < ROUNDS; round++)
    for (const [mode, workers] of settings) {
      const seconds = await timed(mode, workers);
      times.get(`${mode}${workers}`).push(seconds);
      console.log(`round ${round + 1}: ${mode}, ${workers} process(es): ${seconds.toFixed(1)} s`);
    }
} finally {
  await redis.stop();
}
const best = (key) => Math.min(...times.get(key));
const rows = [];
for (const workers of [1, 2]) {
  const local = best(`local${workers}`);
  const queued = best(`queue${workers}`);
  record({
    group: 'study',
    name: `small study through Redis, ${workers} worker process${workers > 1 ? 'es' : ''}`,
    value: queued,
    unit: 's',
    runs: ROUNDS,
    baseline: `local mode, ${workers} process${workers > 1 ? 'es' : ''}`,
    baselineValue: local,
    ratio: local / queued,
  });
  rows.push({
    processes: workers,
    'local (s)': local.toFixed(1),
    'queue (s)': queued.toFixed(1),
    'local / queue': (local / queued).toFixed(2),
  });
}
record({
  group: 'study',
  name: 'small study through Redis, 2 processes against 1',
  value: best('queue2'),
  unit: 's',
  runs: ROUNDS,
  baseline: 'queue, 1 process',
  baselineValue: best('queue1'),
  ratio: best('queue1') / best('queue2'),
});
console.log(`\n${table(rows)}`);
console.log(
  `two processes / one: ${(best('queue1') / best('queue2')).toFixed(2)}x through the queue, ${(best('local1') / best('local2')).toFixed(2)}x locally`,
);
