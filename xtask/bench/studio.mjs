// The private-mode benchmark, run by `cargo xtask bench studio`: a 12 MP
// photo (a real photo upscaled with sharp, JPEG q90) chosen on /studio/local
// in headless Chromium, where the browser decodes it and the detector module
// (tract in wasm, in the page's Web Worker) finds the regions; and the same
// file through the native pool on tract and on ONNX Runtime (signed
// requests), in the same run. Medians of `runs` runs after a warm-up, per
// stage. Prints one JSON object; nothing is asserted.
import { mkdtemp, rm, writeFile, readFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { chromium } from 'playwright-core';

const [, , outDir, photo, runsArg] = process.argv;
const runs = Number(runsArg || 10);
const base = process.env.EDGEPIX_URL.replace(/\/$/, '');
const pool = process.env.EDGEPIX_POOL_URL.replace(/\/$/, '');
const secret = process.env.EDGEPIX_POOL_SECRET;
const STAGES = ['decode_ms', 'preprocess_ms', 'inference_ms', 'postprocess_ms'];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const medians = (rows) => Object.fromEntries(Object.keys(rows[0]).map((k) => [k, median(rows.map((r) => r[k]))]));
const sha256 = (b) => createHash('sha256').update(b).digest('hex');

await mkdir(outDir, { recursive: true });
const file = join(outDir, 'studio-12mp.jpg');
const bytes = await sharp(await readFile(photo)).resize(4000, 3000, { kernel: 'lanczos3', fit: 'cover' }).jpeg({ quality: 90 }).toBuffer();
await writeFile(file, bytes);

async function poolDetect(backend) {
  const target = `/v1/detect?backend=${backend}`;
  const t = Math.floor(Date.now() / 1000);
  const nonce = randomBytes(16).toString('hex');
  const mac = createHmac('sha256', secret).update(`POST\n${target}\n${sha256(bytes)}\n${t}\n${nonce}`).digest('hex');
  const t0 = performance.now();
  const resp = await fetch(`${pool}${target}`, { method: 'POST', headers: { 'x-edgepix-signature': `t=${t},n=${nonce},s=${mac}` }, body: bytes });
  const body = await resp.json();
  const wall = performance.now() - t0;
  if (resp.status !== 200) throw new Error(`pool ${backend}: ${resp.status} ${JSON.stringify(body)}`);
  return { ...Object.fromEntries(STAGES.map((s) => [s, body.timing[s]])), wall_ms: wall, detections: body.detections.length };
}

async function timePool(backend) {
  await poolDetect(backend);
  const rows = [];
  for (let i = 0; i < runs; i++) rows.push(await poolDetect(backend));
  return medians(rows);
}

async function timeBrowser() {
  const profile = await mkdtemp(join(tmpdir(), 'edgepix-bench-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  try {
    const page = await context.newPage();
    await page.goto(`${base}/studio/local`);
    const once = async () => {
      await page.evaluate(() => { window.edgepixStudio.result = null; });
      const t0 = Date.now();
      await page.setInputFiles('#file', file);
      await page.waitForFunction(() => window.edgepixStudio.result || window.edgepixStudio.state === 'error', null, { timeout: 300_000, polling: 20 });
      const wall = Date.now() - t0;
      const s = await page.evaluate(() => window.edgepixStudio);
      if (!s.result) throw new Error(`the page failed: ${s.error}`);
      // Let the blur that follows finish before the next run.
      await page.waitForFunction(() => window.edgepixStudio.state !== 'detected', null, { timeout: 300_000, polling: 20 });
      const blur = await page.evaluate(() => window.edgepixStudio.redaction);
      return { row: { ...Object.fromEntries(STAGES.map((k) => [k, s.result.timing[k]])), wall_ms: wall, blur_ms: blur && blur.ms != null ? blur.ms : NaN }, loadMs: s.loadMs, detections: s.result.detections.length };
    };
    const first = await once();
    const rows = [];
    for (let i = 0; i < runs; i++) rows.push((await once()).row);
    return { ...medians(rows), first_wall_ms: first.row.wall_ms, load_ms: first.loadMs, detections: first.detections };
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  }
}

const browser = await timeBrowser();
const tract = await timePool('tract');
const onnxruntime = await timePool('onnxruntime');
console.log(JSON.stringify({ size: [4000, 3000], bytes: bytes.length, runs, browser, tract, onnxruntime }));
