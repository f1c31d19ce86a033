import { connect } from 'node:net';
import * as tf from '@tensorflow/tfjs-core';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../src/index.js';
import { demoSetup } from './setup.js';

let setup: Awaited<ReturnType<typeof demoSetup>>;
let server: FastifyInstance;
let base: string;
let port: number;

beforeAll(async () => {
  setup = await demoSetup();
  server = buildServer(setup);
  await server.listen({ host: '127.0.0.1', port: 0 });
  port = (server.server.address() as { port: number }).port;
  base = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  await server.close();
  setup.dispose();
});

const heapAfterGc = () => {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
};

describe('bounded load on loopback', () => {
  it('32 concurrent clients x 4 requests: every request answered 200 or 429, none lost, memory back, still healthy', async () => {
    expect(typeof globalThis.gc).toBe('function'); // vitest.config passes --expose-gc
    // warm up once so lazily created state (tfjs kernels, buffers) is not counted as growth
    await (
      await fetch(`${base}/v1/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'warm', max_new_tokens: 2 }),
      })
    ).text();
    const tensorsBefore = tf.memory().numTensors;
    const heapBefore = heapAfterGc();
    const statuses: number[] = [];
    let completed = 0;
    await Promise.all(
      Array.from({ length: 32 }, async (_, client) => {
        for (let i = 0; i < 4; i++) {
          const r = await fetch(`${base}/v1/generate`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              prompt: `The capital of Georgia is ${client}`,
              max_new_tokens: 4,
              steer: i % 2 === 0,
            }),
          });
          const body = await r.text();
          statuses.push(r.status);
          if (r.status === 200 && body.includes('event: done')) completed++;
        }
      }),
    );
    expect(statuses).toHaveLength(128);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    expect(statuses.filter((s) => s === 200).length).toBe(completed); // every 200 streamed to its end
    expect(completed).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0); // the queue did fill up
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(setup.liveSessions()).toBe(0);
    expect(heapAfterGc() - heapBefore).toBeLessThan(16 * 1024 * 1024);
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'ok', active: 0, queued: 0 });
  });
});

/** Seeded garbage, so a failure reproduces. */
function* random(seed: number): Generator<number> {
  let a = seed >>> 0;
  for (;;) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    yield ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

function hostileBodies(): Array<{ name: string; route: string; body: Buffer | string; type?: string }> {
  const out: Array<{ name: string; route: string; body: Buffer | string; type?: string }> = [];
  const fields = [
    'prompt',
    'steer',
    'mu',
    'alpha',
    'strategy',
    'temperature',
    'top_k',
    'top_p',
    'seed',
    'max_new_tokens',
    'top_tokens',
  ];
  const wrong = [
    'null',
    'true',
    '"str"',
    '1e308',
    '-1e308',
    '[]',
    '{}',
    '[1,2]',
    '1e999',
    '-0.5',
    '"\\u0000"',
  ];
  // the combinations that are valid requests
  const valid = new Set(['prompt="str"', 'prompt="\\u0000"', 'steer=true', 'mu=-0.5']);
  for (const field of fields)
    for (const value of wrong) {
      if (valid.has(`${field}=${value}`)) continue;
      const body = field === 'prompt' ? `{"prompt":${value}}` : `{"prompt":"x","${field}":${value}}`;
      out.push({ name: `${field}=${value}`, route: 'generate', body });
    }
  for (const value of wrong)
    out.push({ name: `choices=${value}`, route: 'score', body: `{"prompt":"x","choices":${value}}` });
  for (const depth of [100, 1000, 5000])
    out.push({
      name: `nesting ${depth}`,
      route: 'generate',
      body: `{"prompt":${'['.repeat(depth)}${']'.repeat(depth)}}`,
    });
  out.push({
    name: 'nested objects',
    route: 'generate',
    body: `${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}`,
  });
  out.push({ name: '__proto__', route: 'generate', body: '{"prompt":"x","__proto__":{"admin":true}}' });
  out.push({ name: 'constructor', route: 'generate', body: '{"prompt":"x","constructor":{"prototype":{}}}' });
  for (const bytes of [
    [0xff],
    [0xc3, 0x28],
    [0xe2, 0x82],
    [0xed, 0xa0, 0x80],
    [0xf8, 0x88, 0x80, 0x80, 0x80],
  ]) {
    out.push({
      name: `invalid UTF-8 ${bytes.map((b) => b.toString(16)).join(' ')}`,
      route: 'generate',
      body: Buffer.concat([Buffer.from('{"prompt":"a'), Buffer.from(bytes), Buffer.from('b"}')]),
    });
  }
  for (const top of ['[]', '"x"', '42', 'null', 'true', '[{"prompt":"x"}]'])
    out.push({ name: `top-level ${top}`, route: 'generate', body: top });
  const next = random(7);
  for (let i = 0; i < 60; i++) {
    const length = 1 + Math.floor(next.next().value * 300);
    const bytes = Buffer.from(Array.from({ length }, () => Math.floor(next.next().value * 256)));
    out.push({ name: `random bytes ${i}`, route: i % 2 ? 'score' : 'generate', body: bytes });
  }
  const complete = '{"prompt":"The capital of Georgia is","max_new_tokens":4}';
  for (let cut = 1; cut < complete.length; cut += 3)
    out.push({ name: `truncated at ${cut}`, route: 'generate', body: complete.slice(0, cut) });
  out.push({ name: 'oversized', route: 'generate', body: `{"prompt":"${'x'.repeat(40_000)}"}` });
  out.push({
    name: 'form encoded',
    route: 'generate',
    body: 'prompt=x',
    type: 'application/x-www-form-urlencoded',
  });
  out.push({ name: 'xml', route: 'score', body: '<prompt>x</prompt>', type: 'application/xml' });
  return out;
}

describe('malformed and hostile bodies', () => {
  const bodies = hostileBodies();

  it(`${bodies.length} bodies all get 4xx answers with an error code, and the server keeps serving`, async () => {
    expect(bodies.length).toBeGreaterThanOrEqual(200);
    const failures: string[] = [];
    for (const { name, route, body, type } of bodies) {
      const r = await fetch(`${base}/v1/${route}`, {
        method: 'POST',
        headers: { 'content-type': type ?? 'application/json' },
        body,
      });
      const text = await r.text();
      let code: unknown;
      try {
        code = JSON.parse(text).error?.code;
      } catch {}
      if (r.status < 400 || r.status >= 500 || !code)
        failures.push(`${name}: ${r.status} ${text.slice(0, 80)}`);
    }
    expect(failures).toEqual([]);
    expect(await (await fetch(`${base}/health`)).json()).toMatchObject({ status: 'ok' });
  });

  it('abrupt disconnects mid-body and mid-stream do not crash it', async () => {
    for (let i = 0; i < 20; i++) {
      await new Promise<void>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.write(
            `POST /v1/generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"prompt":"ab`,
          );
          setTimeout(() => {
            socket.destroy();
            resolve();
          }, 5);
        });
        socket.on('error', () => resolve());
      });
      await new Promise<void>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => {
          const body =
            '{"prompt":"The capital of Georgia is","max_new_tokens":64,"steer":false,"strategy":"sample","temperature":100}';
          socket.write(
            `POST /v1/generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
          );
          socket.once('data', () => {
            socket.destroy();
            resolve();
          });
        });
        socket.on('error', () => resolve());
      });
    }
    for (let i = 0; i < 200 && setup.liveSessions() > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(setup.liveSessions()).toBe(0);
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'ok', active: 0, queued: 0 });
  });
});
