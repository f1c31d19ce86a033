#!/usr/bin/env node
// Runs first in `pnpm test`: makes sure what the suites need outside node_modules is on the machine.
// Today that is one thing, a Chromium for the demo page's browser test (Debian's `chromium`, driven by
// playwright-core). When it is missing we install it with apt-get (as root, or through passwordless
// sudo) and say so in one line; where that is impossible we stop before any suite runs, with one
// message that says what to install. Never a silent skip.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = process.env.SVDECODE_CHROMIUM ?? '/usr/bin/chromium';

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

function manualHint() {
  return (
    `The demo page's browser test needs Chromium at ${CHROMIUM}. Install it and run the tests again:\n` +
    '  sudo apt-get update && sudo apt-get install -y chromium\n' +
    '(or point SVDECODE_CHROMIUM at another Chromium binary).'
  );
}

function ensureChromium() {
  if (existsSync(CHROMIUM)) return;
  if (process.env.SVDECODE_CHROMIUM) fail(`SVDECODE_CHROMIUM=${CHROMIUM} does not exist.\n${manualHint()}`);
  if (!has('apt-get')) fail(`Chromium is missing and this machine has no apt-get.\n${manualHint()}`);
  const prefix = rootPrefix();
  if (!prefix)
    fail(`Chromium is missing and installing it needs root (no passwordless sudo here).\n${manualHint()}`);
  const started = Date.now();
  process.stdout.write(
    "svdecode test setup: installing Debian's chromium for the browser test (apt-get, about a minute)\n",
  );
  runQuietly(prefix, ['apt-get', 'update', '-qq']);
  runQuietly(prefix, ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'chromium']);
  if (!existsSync(CHROMIUM))
    fail(`apt-get installed chromium but ${CHROMIUM} is still missing.\n${manualHint()}`);
  process.stdout.write(
    `svdecode test setup: chromium installed in ${Math.round((Date.now() - started) / 1000)} s\n`,
  );
}

ensureChromium();
