// `cargo xtask bench game`: photo -> playable game, through the local
// system; then the game page in headless Chromium (time to `ready`, time per
// frame). Usage: node game.mjs <photo>... <runs>; EDGEPIX_URL, EDGEPIX_TOKEN.
// Prints one JSON object.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { chromium } from 'playwright-core';

const base = process.env.EDGEPIX_URL.replace(/\/$/, '');
const token = `Bearer ${process.env.EDGEPIX_TOKEN}`;
// Each request from its own address: the Worker allows 100 API requests a
// minute per address, and the polling below is faster than that.
const auth = () => ({ authorization: token, 'cf-connecting-ip': `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}` });
const args = process.argv.slice(2);
const runs = Number(args.pop());
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.floor(s.length / 2)] : NaN; };

async function makeGame(photo, name) {
  const form = new FormData();
  form.set('name', name);
  form.set('theme', 'garden');
  form.set('difficulty', 'normal');
  form.set('level_count', '3');
  form.set('photo', new Blob([photo], { type: 'image/png' }), 'pet.png');
  const t0 = performance.now();
  let resp = await fetch(`${base}/api/v1/games`, { method: 'POST', headers: auth(), body: form });
  if (resp.status !== 202) throw new Error(`create: ${resp.status} ${await resp.text()}`);
  const game = await resp.json();
  for (;;) {
    resp = await fetch(`${base}${game.urls.job}`, { headers: auth() });
    const job = await resp.json();
    if (job.status === 'done') break;
    if (job.status === 'failed') throw new Error(`job failed: ${job.error}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const readyMs = performance.now() - t0;
  const full = await (await fetch(`${base}${game.urls.this}`, { headers: auth() })).json();
  if (!full.stages) throw new Error(`no stage times: ${JSON.stringify(full)}`);
  return { code: game.code, t0, readyMs, stages: Object.fromEntries(full.stages.map((s) => [s.stage, s.ms])) };
}

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
// Time every animation-frame callback: the runtime's update and draw.
await page.addInitScript(() => {
  const raf = window.requestAnimationFrame.bind(window);
  window.__frames = [];
  window.requestAnimationFrame = (cb) => raf((t) => { const s = performance.now(); cb(t); window.__frames.push(performance.now() - s); });
});

const photos = [];
let last = null;
for (const path of args) {
  const bytes = await readFile(path);
  const rows = [];
  for (let i = 0; i < runs; i++) {
    const g = await makeGame(bytes, `${basename(path)} ${i}`);
    await page.goto(`${base}/g/${g.code}`);
    await page.waitForSelector('[data-screen="start"]', { timeout: 30000 });
    g.pageMs = performance.now() - g.t0;
    rows.push(g);
    last = g;
  }
  const stages = {};
  for (const s of Object.keys(rows[0].stages)) stages[s] = median(rows.map((r) => r.stages[s]));
  photos.push({ name: basename(path), ready_ms: median(rows.map((r) => r.readyMs)), page_ms: median(rows.map((r) => r.pageMs)), stages });
}

// Frame time while playing: start, then walk and jump for a few seconds.
await page.goto(`${base}/g/${last.code}`);
await page.waitForSelector('[data-screen="start"]');
await page.keyboard.press('Enter');
await page.waitForSelector('[data-screen="playing"]');
await page.evaluate(() => { window.__frames = []; });
for (let i = 0; i < 20; i++) {
  await page.keyboard.press(i % 3 === 2 ? 'ArrowUp' : 'ArrowRight');
  await page.waitForTimeout(120);
}
const frames = await page.evaluate(() => window.__frames);
await browser.close();
const sorted = [...frames].sort((a, b) => a - b);
console.log(JSON.stringify({ photos, frame: { frames: frames.length, median_ms: median(frames), p95_ms: sorted[Math.floor(sorted.length * 0.95)] } }));
