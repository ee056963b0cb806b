// The safe-blur benchmark's JavaScript side, run by `cargo xtask bench
// blur`. In one run:
// - the local Worker (workerd, one thread: wall time is its CPU time): a
//   12 MP JPEG (a real photo upscaled) analysed by the real pool, then
//   `/img/width=2048,format=jpeg,policy=P/{id}` with every class
//   `blur:full` (padding 0.5) against the same request without a policy,
//   caches bypassed; the difference is the blur's share;
// - the browser module's `applyPolicy` (the Worker's blur code, wasm in
//   V8 as in workerd) on the whole 12 MP frame: the worst case, a region
//   covering everything.
// Prints one JSON object. Timings are printed, never asserted.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import sharp from 'sharp';

const [, , outDir, photo, pkgDir, runsArg] = process.argv;
const runs = Number(runsArg || 7);
const base = process.env.EDGEPIX_URL.replace(/\/$/, '');
const auth = { authorization: `Bearer ${process.env.EDGEPIX_TOKEN}` };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const CLASSES = ['FEMALE_GENITALIA_COVERED', 'FACE_FEMALE', 'BUTTOCKS_EXPOSED', 'FEMALE_BREAST_EXPOSED', 'FEMALE_GENITALIA_EXPOSED',
  'MALE_BREAST_EXPOSED', 'ANUS_EXPOSED', 'FEET_EXPOSED', 'BELLY_COVERED', 'FEET_COVERED', 'ARMPITS_COVERED', 'ARMPITS_EXPOSED',
  'FACE_MALE', 'BELLY_EXPOSED', 'MALE_GENITALIA_EXPOSED', 'ANUS_COVERED', 'FEMALE_BREAST_COVERED', 'BUTTOCKS_COVERED'];
const allFull = { classes: Object.fromEntries(CLASSES.map((c) => [c, 'blur:full'])), padding: 0.5 };

async function api(path, init = {}) {
  const resp = await fetch(`${base}${path}`, { ...init, headers: { ...auth, ...(init.headers || {}) } });
  if (!resp.ok) throw new Error(`${path}: ${resp.status} ${await resp.text()}`);
  return resp.json();
}

async function timeWorker(id, options) {
  const times = [];
  for (let i = 0; i < runs + 1; i++) {
    const t0 = performance.now();
    const resp = await fetch(`${base}/img/${options}/${id}`, { headers: { 'x-edgepix-bypass-cache': '1' } });
    const body = await resp.arrayBuffer();
    if (resp.status !== 200) throw new Error(`${options}: ${resp.status} ${Buffer.from(body).toString()}`);
    if (i > 0) times.push(performance.now() - t0); // the first run warms the isolate
  }
  return median(times);
}

await mkdir(outDir, { recursive: true });
const [width, height] = [4000, 3000];
const jpeg = await sharp(await readFile(photo)).resize(width, height, { kernel: 'lanczos3', fit: 'fill' }).jpeg({ quality: 90 }).toBuffer();
await writeFile(`${outDir}/blur-12mp.jpg`, jpeg);
const { id } = await api('/api/v1/assets', { method: 'POST', body: jpeg });
const job = await api(`/api/v1/assets/${id}/analyze`, { method: 'POST' });
for (;;) {
  const now = await api(job.urls.this);
  if (now.status === 'done') break;
  if (now.status === 'failed') throw new Error(`analysis failed: ${now.error}`);
  await new Promise((r) => setTimeout(r, 250));
}
const analysis = await api(`/api/v1/assets/${id}/detections`);
await api('/api/v1/policies/bench-full', { method: 'PUT', body: JSON.stringify(allFull) });
// Padded boxes' area (overlaps counted twice): the share of the frame blurred.
const area = analysis.detections.reduce((a, d) => {
  const [x, y, w, h] = d.box;
  const x0 = Math.max(0, x - w / 2), y0 = Math.max(0, y - h / 2), x1 = Math.min(width, x + 1.5 * w), y1 = Math.min(height, y + 1.5 * h);
  return a + Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
}, 0);
// The Worker decodes at most 32 MiB of pixels (8 MP) per request, so a
// 12 MP original is served at most about that large: 2048 px wide here.
const plain = await timeWorker(id, 'width=2048,format=jpeg,quality=85');
const blurred = await timeWorker(id, 'width=2048,format=jpeg,quality=85,policy=bench-full');

// The same blur code in V8's wasm, on the whole frame.
const { initSync, applyPolicy } = await import(`${pkgDir}/edgepix_client.js`);
initSync({ module: await readFile(`${pkgDir}/edgepix_client_bg.wasm`) });
const rgba = new Uint8Array(width * height * 4);
for (let i = 0; i < rgba.length; i++) rgba[i] = (i * 7 + (i >> 12)) & 255;
const whole = { detections: [{ class: 'FACE_FEMALE', score: 1, box: [0, 0, width, height] }], width, height, policy: { classes: { FACE_FEMALE: 'blur:full' }, padding: 0 } };
const wasmTimes = [];
for (let i = 0; i < runs + 1; i++) {
  const t0 = performance.now();
  applyPolicy(rgba, width, height, whole);
  if (i > 0) wasmTimes.push(performance.now() - t0);
}

console.log(JSON.stringify({
  width, height,
  detections: analysis.detections.map((d) => d.class),
  region_share: area / (width * height),
  worker_plain_ms: plain,
  worker_policy_ms: blurred,
  wasm_whole_frame_ms: median(wasmTimes),
}));
