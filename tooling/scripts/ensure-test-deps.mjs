#!/usr/bin/env node
// Runs first in `pnpm test`: makes sure what the suites need outside node_modules is on the machine.
// Today that is two Debian packages: `chromium` for the demo page's browser test (driven by
// playwright-core) and `redis-server` for the study's queue tests. When one is missing we install it with apt-get (as root, or through passwordless
// sudo) and say so in one line; where that is impossible we stop before any suite runs, with one
// message that says what to install. Never a silent skip.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = process.env.SVDECODE_CHROMIUM ?? '/usr/bin/chromium';
const REDIS_SERVER = process.env.SVDECODE_REDIS_SERVER ?? '/usr/bin/redis-server';

function fail(message) {
  process.stderr.write(`\nsvdecode test setup: ${message}\n\n`);
  process.exit(1);
}

function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** How to run a command as root here: [] when we are root, ['sudo', '-n'] when sudo works without a password, else null. */
function rootPrefix() {
  if (typeof process.getuid === 'function' && process.getuid() === 0) return [];
  if (has('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0)
    return ['sudo', '-n'];
  return null;
}

function runQuietly(prefix, args) {
  const [cmd, ...rest] = [...prefix, ...args];
  const result = spawnSync(cmd, rest, {
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.status !== 0) {
    const tail = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
    fail(`\`${[cmd, ...rest].join(' ')}\` failed (exit ${result.status}):\n${tail}\n` + manualHint());
  }
}

// What the suites need from Debian: the binary each test looks for, and the package holding it.
const NEEDS = [
  {
    what: "Chromium, for the demo page's browser test",
    binary: CHROMIUM,
    pkg: 'chromium',
    env: 'SVDECODE_CHROMIUM',
  },
  {
    what: "redis-server, for the study's queue tests (BullMQ)",
    binary: REDIS_SERVER,
    pkg: 'redis-server',
    env: 'SVDECODE_REDIS_SERVER',
  },
];

function manualHint(missing = NEEDS) {
  return (
    `The tests need ${missing.map((n) => `${n.what} at ${n.binary}`).join(', and ')}. Install and run the tests again:\n` +
    `  sudo apt-get update && sudo apt-get install -y ${missing.map((n) => n.pkg).join(' ')}\n` +
    `(or point ${missing.map((n) => n.env).join(' / ')} at another binary).`
  );
}

function ensureDebianPackages() {
  const missing = NEEDS.filter((n) => !existsSync(n.binary));
  if (missing.length === 0) return;
  for (const n of missing)
    if (process.env[n.env]) fail(`${n.env}=${n.binary} does not exist.\n${manualHint(missing)}`);
  const names = missing.map((n) => n.pkg).join(' ');
  if (!has('apt-get')) fail(`${names} missing and this machine has no apt-get.\n${manualHint(missing)}`);
  const prefix = rootPrefix();
  if (!prefix)
    fail(`${names} missing and installing needs root (no passwordless sudo here).\n${manualHint(missing)}`);
  const started = Date.now();
  process.stdout.write(
    `svdecode test setup: installing Debian's ${names} for the tests (apt-get, about a minute)\n`,
  );
  runQuietly(prefix, ['apt-get', 'update', '-qq']);
  runQuietly(prefix, [
    'apt-get',
    'install',
    '-y',
    '-qq',
    '--no-install-recommends',
    ...missing.map((n) => n.pkg),
  ]);
  for (const n of missing)
    if (!existsSync(n.binary))
      fail(`apt-get installed ${n.pkg} but ${n.binary} is still missing.\n${manualHint(missing)}`);
  process.stdout.write(
    `svdecode test setup: ${names} installed in ${Math.round((Date.now() - started) / 1000)} s\n`,
  );
}

ensureDebianPackages();
