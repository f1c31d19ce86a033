// shown in: apps/demo-server/README.md
import { startServer } from '@svdecode/demo-server';
import { loadAdapter } from '@svdecode/peft-tfjs';
import { loadTiny, TINY_DEMO_ADAPTER_DIR } from '@svdecode/tiny';

const { model, tokenizer } = await loadTiny({ quiet: true });
const adapted = await loadAdapter(model, TINY_DEMO_ADAPTER_DIR, { tokenizer }); // any PairedCausalLM
// steering: null means every request gives its own mu (a steering file's strength otherwise)
const setup = { adapted, tokenizer, steering: null, description: { model: 'tiny', adapter: 'demo LoRA' } };
const { app, url } = await startServer(setup, { port: 0 }); // 0: a free port; the page is at url
const response = await fetch(`${url}/v1/generate`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ prompt: 'Q: What is the capital of Chile?\nA:', mu: 0.5, max_new_tokens: 6 }),
});
const events = (await response.text()).split('\n').filter((line) => line.startsWith('event: '));
console.log(response.status, events.at(0), events.at(-1)); // server-sent events: start ... done
await app.close();
adapted.dispose();
model.dispose();
