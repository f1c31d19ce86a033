// A `svdecode worker` stand-in for the tests (the CLI is not a dependency of this package): study
// workers in their own process, which a test can kill outright. Sends 'ready' over IPC.
import { startStudyWorkers } from '../dist/index.js';

const [url, name, concurrency, lockSeconds] = process.argv.slice(2);
const workers = await startStudyWorkers({
  url,
  name,
  concurrency: Number(concurrency),
  lockSeconds: Number(lockSeconds),
  stdio: 'ignore',
});
await workers.ready;
process.send?.('ready');
process.on('SIGTERM', async () => {
  await workers.stop();
  process.exit(0);
});
