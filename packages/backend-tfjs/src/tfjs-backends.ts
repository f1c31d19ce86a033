import { BackendRegistry, SvdecodeError } from '@svdecode/core';
import * as tf from '@tensorflow/tfjs-core';

/** The tfjs engine backends svdecode can run on, best first. */
export type TfjsBackendName = 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'cpu';

export interface TfjsBackendInfo {
  /** Which of the candidates is active. */
  name: TfjsBackendName;
  /** The tfjs engine backend name (`tensorflow`, `wasm`, `cpu`). */
  engine: string;
  /** Why the better candidates were passed over (empty when the best one started). */
  skipped: Record<string, string>;
}

const ENGINE: Record<TfjsBackendName, string> = {
  'tfjs-node-gpu': 'tensorflow',
  'tfjs-node': 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu',
};

const PROCESS_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;

/**
 * Runs `start` and removes the process-wide error listeners it added. The wasm backend's Emscripten
 * module installs `uncaughtException` / `unhandledRejection` listeners that rethrow: any later
 * uncaught error of the host program, ours or not, then exits with code 7 under a tfjs header. A
 * library leaves the host's error handling alone (Node's own message and exit code 1).
 */
async function leavingProcessHandlers<T>(start: () => Promise<T>): Promise<T> {
  const listeners = () => PROCESS_EVENTS.map((event) => process.listeners(event as 'uncaughtException'));
  const before = listeners().map((l) => new Set<unknown>(l));
  try {
    return await start();
  } finally {
    listeners().forEach((now, i) => {
      const event = PROCESS_EVENTS[i] as 'uncaughtException';
      for (const listener of now) if (!before[i]!.has(listener)) process.removeListener(event, listener);
    });
  }
}

async function useEngine(name: TfjsBackendName, load: () => Promise<unknown>): Promise<TfjsBackendName> {
  return leavingProcessHandlers(async () => {
    await load();
    if (!(await tf.setBackend(ENGINE[name]))) throw new Error(`tf.setBackend('${ENGINE[name]}') failed`);
    await tf.ready();
    return name;
  });
}

// Dynamic imports through a variable: the native accelerators are optional peers that bundlers and
// type checkers must not require.
const importOptional = (specifier: string) => import(/* @vite-ignore */ specifier);

function candidates(): BackendRegistry<TfjsBackendName> {
  const registry = new BackendRegistry<TfjsBackendName>('tfjs backend');
  registry.register(
    'tfjs-node-gpu',
    () => useEngine('tfjs-node-gpu', () => importOptional('@tensorflow/tfjs-node-gpu')),
    40,
  );
  registry.register(
    'tfjs-node',
    () => useEngine('tfjs-node', () => importOptional('@tensorflow/tfjs-node')),
    30,
  );
  registry.register('wasm', () => useEngine('wasm', () => import('@tensorflow/tfjs-backend-wasm')), 20);
  registry.register('cpu', () => useEngine('cpu', () => import('@tensorflow/tfjs-backend-cpu')), 10);
  return registry;
}

let active: Promise<TfjsBackendInfo> | undefined;
let activeName: TfjsBackendName | undefined;

function shortReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string } | undefined)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || /Cannot find (package|module)|Could not resolve/.test(message))
    return 'not installed';
  return message.split('\n')[0]!.slice(0, 160);
}

export interface InitTfjsOptions {
  /** Use this backend (and fail if it cannot start) instead of the best available. Also `SVDECODE_TFJS_BACKEND`. */
  backend?: TfjsBackendName;
  /** Print the one-line choice to stderr (default true unless SVDECODE_QUIET is set). */
  log?: boolean;
}

/**
 * Starts the best tfjs backend once per process: `@tensorflow/tfjs-node-gpu` if installed and it
 * loads, else `@tensorflow/tfjs-node`, else `@tensorflow/tfjs-backend-wasm`, else the pure-JS cpu
 * backend. Concurrent callers share the start. Prints one line saying which and why not better.
 */
export function initTfjs(options: InitTfjsOptions = {}): Promise<TfjsBackendInfo> {
  const wanted = options.backend ?? (process.env.SVDECODE_TFJS_BACKEND as TfjsBackendName | undefined);
  if (active && (!wanted || wanted === activeName)) return active;
  if (wanted && !(wanted in ENGINE)) {
    return Promise.reject(
      new SvdecodeError('UNKNOWN_BACKEND', `unknown tfjs backend "${wanted}"`, {
        hint: `Use one of ${Object.keys(ENGINE).join(', ')}.`,
      }),
    );
  }
  const registry = candidates();
  active = (async () => {
    const skipped: Record<string, string> = {};
    let name: TfjsBackendName;
    if (wanted) {
      name = await registry.get(wanted);
    } else {
      name = await registry.get();
      for (const s of registry.status()) if (s.state === 'failed') skipped[s.name] = shortReason(s.error);
    }
    activeName = name;
    const info = { name, engine: ENGINE[name], skipped };
    const log = options.log ?? !process.env.SVDECODE_QUIET;
    if (log) {
      const why = Object.entries(skipped).map(([n, r]) => `${n}: ${r}`);
      process.stderr.write(`svdecode: tfjs backend ${name}${why.length ? ` (${why.join('; ')})` : ''}\n`);
    }
    return info;
  })();
  active.catch(() => {
    active = undefined;
  });
  return active;
}

/** The backend started by `initTfjs`, if any. */
export function activeTfjsBackend(): TfjsBackendName | undefined {
  return activeName;
}
