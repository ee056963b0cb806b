// The browser module's benchmark, run by `cargo xtask bench client`: in
// headless Chromium, one 1920x1080 frame of protected viewing (descramble,
// per-viewer noise, overlay, watermark) through the wasm module
// (`composeView`) and through a plain-JavaScript implementation of the same
// algorithm (xtask/bench/protect.js) in the same page, on the same input.
// Checks that both give identical bytes, then prints one JSON object with
// the medians.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { chromium } from 'playwright-core';

const [, , siteDir, photo, runsArg] = process.argv;
const runs = Number(runsArg || 15);
const here = new URL('.', import.meta.url).pathname;
const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html', '.png': 'image/png' };

const pages = {
  '/bench.html': '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>bench</title>',
  '/bench/protect.js': join(here, 'protect.js'),
  '/bench/photo.png': photo,
};

const server = createServer(async (req, res) => {
  try {
    const path = new URL(req.url, 'http://x').pathname;
    let body;
    if (path === '/bench.html') body = pages[path];
    else if (pages[path]) body = await readFile(pages[path]);
    else body = await readFile(join(siteDir, normalize(path).replace(/^(\.\.[/\\])+/, '')));
    res.writeHead(200, { 'content-type': TYPES[extname(path)] || 'application/octet-stream' });
    res.end(body);
  } catch {
    res.writeHead(404);
    res.end();
  }
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const base = `http://127.0.0.1:${server.address().port}`;

const profile = await mkdtemp(join(tmpdir(), 'edgepix-bench-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
});
try {
  const page = await context.newPage();
  await page.goto(`${base}/bench.html`);
  const result = await page.evaluate(async (runs) => {
    const wasm = await import('/pkg/edgepix_client.js');
    await wasm.default();
    const js = await import('/bench/protect.js');
    const [w, h] = [1920, 1080];
    const bmp = await createImageBitmap(await (await fetch('/bench/photo.png')).blob(), { resizeWidth: w, resizeHeight: h, resizeQuality: 'high' });
    const c = new OffscreenCanvas(w, h);
    const ctx = c.getContext('2d');
    // The "scrambled" input: a real photo at the padded grid size.
    const grid = js.grid(w, h, 32);
    const [pw, ph] = [grid.cols * grid.tile, grid.rows * grid.tile];
    const pc = new OffscreenCanvas(pw, ph);
    const pctx = pc.getContext('2d');
    pctx.drawImage(bmp, 0, 0, pw, ph);
    const scrambled = pctx.getImageData(0, 0, pw, ph).data;
    const protection = { noiseLevel: 0.2, segmentCount: 32, rotation: true, overlayComplexity: 1, watermark: true };
    const seed = crypto.getRandomValues(new Uint8Array(32));
    const seedHex = [...seed].map((b) => b.toString(16).padStart(2, '0')).join('');
    const payload = crypto.getRandomValues(new Uint8Array(8));
    const payloadHex = [...payload].map((b) => b.toString(16).padStart(2, '0')).join('');
    const prepared = await js.prepare(seed);
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const time = (f) => {
      const times = [];
      let out;
      for (let i = 0; i < runs + 1; i++) {
        const t0 = performance.now();
        out = f();
        if (i > 0) times.push(performance.now() - t0);
      }
      return { out, median_ms: median(times) };
    };
    const a = time(() => wasm.composeView(scrambled, grid, protection, seedHex, payloadHex));
    const b = time(() => js.compose(scrambled, grid, protection, prepared, BigInt(`0x${payloadHex}`)));
    let diff = 0;
    for (let i = 0; i < a.out.length; i++) if (a.out[i] !== b.out[i]) diff++;
    return { width: w, height: h, grid, wasm_ms: a.median_ms, js_ms: b.median_ms, identical: diff === 0 && a.out.length === b.out.length, differing_bytes: diff };
  }, runs);
  console.log(JSON.stringify(result));
} finally {
  await context.close();
  await rm(profile, { recursive: true, force: true });
  server.close();
}
