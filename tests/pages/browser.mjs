// Launching Debian's chromium through playwright-core for page tests.
// `cargo xtask test` passes EDGEPIX_URL (the Worker) and CHROMIUM.
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const base = (process.env.EDGEPIX_URL || '').replace(/\/$/, '');
if (!base) throw new Error('EDGEPIX_URL is not set: run the page tests through `cargo xtask test`');

const ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Runs `fn(page, errors)` in a fresh headless Chromium profile; `errors`
 *  collects console errors and uncaught page errors. `options` go to
 *  `launchPersistentContext` (and `args` are added to ours). */
export async function withPage(fn, options = {}) {
  const profile = await mkdtemp(join(tmpdir(), 'edgepix-chromium-'));
  const { args = [], ...rest } = options;
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [...ARGS, ...args],
    viewport: { width: 1200, height: 900 },
    ...rest,
  });
  try {
    // The tab the context opened with, rather than a second one beside it.
    const page = context.pages()[0] ?? await context.newPage();
    const errors = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    return await fn(page, errors);
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  }
}

/** Saves a screenshot under target/screenshots/ for people to look at. */
export async function screenshot(page, name) {
  await mkdir('target/screenshots', { recursive: true });
  await page.screenshot({ path: `target/screenshots/${name}.png`, fullPage: true });
}
