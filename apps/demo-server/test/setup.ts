import { readFileSync } from 'node:fs';
import { loadAdapter } from '@svdecode/peft-tfjs';
import {
  demoPageDefaults,
  loadDemoRegime,
  loadTiny,
  TINY_DEMO_ADAPTER_DIR,
  TINY_DEMO_STEERING_FILE,
} from '@svdecode/tiny';
import type { DemoSetup } from '../src/index.js';

process.env.SVDECODE_QUIET = '1';

/** The embedded model with its committed demo adapter, steering file and page defaults, as `svdecode serve` starts it. */
export async function demoSetup(): Promise<
  DemoSetup & { base: Awaited<ReturnType<typeof loadTiny>>['model']; dispose(): void; liveSessions(): number }
> {
  const { model, tokenizer } = await loadTiny();
  const adapted = await loadAdapter(model, TINY_DEMO_ADAPTER_DIR, { tokenizer });
  const file = JSON.parse(readFileSync(TINY_DEMO_STEERING_FILE, 'utf8'));
  return {
    adapted,
    tokenizer,
    steering: {
      muBar: file.muBar,
      alpha: file.alpha,
      aggregate: file.aggregate,
      count: file.distribution.count,
      histogram: file.distribution.histogram,
      decision: file.decision ?? null,
    },
    // as `svdecode serve` opens on the embedded model: the demo regime's task and format
    defaults: await (async () => {
      const { prompt, note } = await demoPageDefaults(await loadDemoRegime());
      return { prompt, note };
    })(),
    description: { model: 'tiny', adapter: 'demo lora', steeringFile: 'demo/steering.json', backend: 'tfjs' },
    base: model,
    liveSessions: () => adapted.liveSessions,
    dispose: () => {
      adapted.dispose();
      model.dispose();
    },
  };
}

/** Server-sent events of a response body, in order. */
export function parseEvents(text: string): Array<{ event: string; data: Record<string, unknown> }> {
  return text
    .split('\n\n')
    .filter((b) => b.trim() !== '')
    .map((block) => ({
      event: /^event: (.*)$/m.exec(block)![1]!,
      data: JSON.parse(/^data: (.*)$/m.exec(block)![1]!),
    }));
}
