import { existsSync, mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../src/index.js';
import { demoSetup } from './setup.js';

// Debian's chromium; `pnpm test` installs it first (tooling/scripts/ensure-test-deps.mjs). Missing, this test fails: no silent skip.
const CHROMIUM = process.env.SVDECODE_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url));

let setup: Awaited<ReturnType<typeof demoSetup>>;
let server: FastifyInstance;
let browser: BrowserContext;
let url: string;

beforeAll(async () => {
  expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`).toBe(true);
  setup = await demoSetup();
  server = buildServer(setup);
  await server.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(server.server.address() as { port: number }).port}/`;
  // a fresh profile directory per run (playwright passes it as --user-data-dir)
  browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'svdecode-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1200, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  setup?.dispose();
});

describe('the demo page in headless Chromium', () => {
  it('runs a generation: base, PEFT and PEFT + SVDecode fill, the charts render; a screenshot is saved', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForSelector('#histogram rect.hist-bar');
    expect(await page.inputValue('#mu')).toBe(String(setup.steering!.muBar));
    // the strength guard's decision is shown next to mu_bar
    expect(await page.textContent('#decision')).toContain(setup.steering!.decision!.reason);
    // the page opens on the demo regime's prompt, in the task's own format
    expect(await page.inputValue('#prompt')).toBe(setup.defaults!.prompt);
    expect(await page.textContent('#regime')).toBe(setup.defaults!.note);
    await page.click('#go');
    await page.waitForSelector('#base[data-done="true"]');
    await page.waitForSelector('#plain[data-done="true"]');
    await page.waitForSelector('#steered[data-done="true"]');
    expect((await page.textContent('#base'))!.length).toBeGreaterThan(0);
    expect((await page.textContent('#plain'))!.length).toBeGreaterThan(0);
    expect((await page.textContent('#steered'))!.length).toBeGreaterThan(0);
    // the chart of the first step's top tokens, before and after steering
    expect(await page.locator('#top-chart rect.bar-before').count()).toBeGreaterThan(0);
    expect(await page.locator('#top-chart rect.bar-after').count()).toBeGreaterThan(0);
    // selecting another step redraws it
    await page.locator('#steered span').nth(1).click();
    expect(await page.textContent('#step-title')).toContain('step 2');
    expect(errors).toEqual([]);
    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = join(ARTIFACTS, 'demo-page.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
  });
});
