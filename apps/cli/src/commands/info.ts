import { readFile } from 'node:fs/promises';
import { initTfjs } from '@svdecode/backend-tfjs';
import { TINY_MODEL_DIR } from '@svdecode/tiny';
import * as ort from 'onnxruntime-node';
import type { CommonFlags } from '../options.js';

const cliVersion = async (): Promise<string> =>
  (JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
    .version;

/** Which backends are available and active here, with versions. */
export async function infoCommand(flags: CommonFlags): Promise<void> {
  const tfjs = await initTfjs({ log: false });
  const tf = await import('@tensorflow/tfjs-core');
  const info = {
    svdecode: await cliVersion(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    backends: {
      tfjs: {
        active: tfjs.name,
        engine: tfjs.engine,
        version: tf.version_core,
        skipped: tfjs.skipped,
      },
      onnx: {
        available: true,
        version: ort.env.versions.node ?? ort.env.versions.common,
        executionProviders: ort
          .listSupportedBackends()
          .filter((b) => b.bundled)
          .map((b) => b.name),
      },
    },
    embeddedModel: TINY_MODEL_DIR,
  };
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(info)}\n`);
    return;
  }
  const skipped = Object.entries(tfjs.skipped).map(([n, why]) => `\n    skipped ${n}: ${why}`);
  process.stdout.write(
    [
      `svdecode ${info.svdecode} (Node ${info.node}, ${info.platform})`,
      `  tfjs backend: ${tfjs.name} (engine ${tfjs.engine}, tfjs-core ${tf.version_core})${skipped.join('')}`,
      `  onnx backend: onnxruntime-node ${info.backends.onnx.version} (${info.backends.onnx.executionProviders.join(', ')})`,
      `  embedded model: ${TINY_MODEL_DIR}`,
      '',
    ].join('\n'),
  );
}
