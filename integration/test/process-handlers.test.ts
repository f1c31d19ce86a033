// A library leaves the host process's error handling alone: after a backend has loaded and decoded,
// an uncaught error in the user's code exits with Node's own message and code 1 (tfjs-wasm's
// Emscripten module used to install listeners that made it exit 7 under a tfjs header).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkpointWeights, loadTfjsModel } from '@svdecode/backend-tfjs';
import { exportGguf } from '@svdecode/gguf-export';
import { exportOnnx } from '@svdecode/onnx-export';
import { TINY_MODEL_DIR } from '@svdecode/tiny';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const HERE = fileURLToPath(new URL('..', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'svdecode-process-'));
  const tfjs = await loadTfjsModel(TINY_MODEL_DIR);
  await exportOnnx(checkpointWeights(tfjs), join(dir, 'onnx'));
  tfjs.dispose();
  await exportGguf(TINY_MODEL_DIR, join(dir, 'tiny.gguf'));
}, 120_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Runs `load` (an expression giving a CausalLM) in a child, decodes two tokens, then throws. */
function crashAfter(load: string, imports: string, how: 'throw' | 'reject') {
  const code = `${imports}
process.env.SVDECODE_QUIET = '1';
const model = await ${load};
const session = model.createSession();
await session.append([1, 5]);
${how === 'throw' ? "setTimeout(() => { throw new Error('user code failed'); });" : "Promise.reject(new Error('user code failed'));"}`;
  // a file beside the tests (not `-e`: node-llama-cpp forks a binding test that inherits execArgv),
  // so that the child resolves the workspace packages as the tests do
  const file = join(HERE, `.crash-${process.pid}-${how}.mjs`);
  writeFileSync(file, code);
  try {
    return spawnSync(process.execPath, [file], { cwd: HERE, encoding: 'utf8' });
  } finally {
    void rm(file, { force: true });
  }
}

describe('the host process is left alone', () => {
  const cases = [
    [
      'tfjs (wasm)',
      `loadTfjsModel(${JSON.stringify(TINY_MODEL_DIR)})`,
      "import { loadTfjsModel } from '@svdecode/backend-tfjs';",
    ],
    ['onnx', 'loadOnnxModel(DIR_ONNX)', "import { loadOnnxModel } from '@svdecode/backend-onnx';"],
    [
      'llama.cpp',
      'loadLlamaCppModel(DIR_GGUF)',
      "import { loadLlamaCppModel } from '@svdecode/backend-llama-cpp';",
    ],
  ] as const;
  it.each(cases)(
    '%s: an uncaught error or rejection exits 1 with Node’s own message',
    (_name, load, imports) => {
      const expression = load
        .replace('DIR_ONNX', JSON.stringify(join(dir, 'onnx')))
        .replace('DIR_GGUF', JSON.stringify(join(dir, 'tiny.gguf')));
      for (const how of ['throw', 'reject'] as const) {
        const r = crashAfter(expression, imports, how);
        expect(r.status, `${how}: ${r.stderr}`).toBe(1);
        expect(r.stderr).toMatch(/Error: user code failed/);
        expect(r.stderr).not.toMatch(/tf-backend-wasm|tfjs|emscripten/i);
      }
    },
    120_000,
  );
});
