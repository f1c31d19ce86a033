// shown in: packages/experiments/README.md
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatStudyEvent, reportStudy, runStudy } from '@svdecode/experiments';

// a small study on local worker processes (add `queue: 'redis://host:6379'` to run it on
// `svdecode worker` processes anywhere): 1 run + the base model, 4 rows per split
const out = await mkdtemp(join(tmpdir(), 'svdecode-study-'));
const summary = await runStudy({
  tasks: ['capitals-open'],
  methods: ['lora'],
  budgets: ['d'],
  seeds: [0],
  rows: 4,
  out,
  workers: 1,
  onEvent: (event) => console.error(formatStudyEvent(event)),
});
const report = await reportStudy(out); // study.json, study.md and figures in `out`
console.log(summary.failures.length, report?.runs, report?.files.includes('study.md'));
