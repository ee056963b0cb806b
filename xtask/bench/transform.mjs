// The transform benchmark's JavaScript side, run by `cargo xtask bench
// transform`: makes the test photos (a real photo upscaled with sharp), then
// times the local Worker over HTTP (caches bypassed) and sharp itself
// (libvips, one thread), in the same run. Prints one JSON object.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import sharp from 'sharp';

const [, , outDir, photo, runsArg] = process.argv;
const runs = Number(runsArg || 15);
const base = process.env.EDGEPIX_URL.replace(/\/$/, '');
const token = process.env.EDGEPIX_TOKEN;
sharp.concurrency(1);
sharp.cache(false);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function makePhoto(width, height, path) {
  const buf = await sharp(await readFile(photo)).resize(width, height, { kernel: 'lanczos3', fit: 'fill' }).jpeg({ quality: 90 }).toBuffer();
  await writeFile(path, buf);
  return buf;
}

async function upload(bytes) {
  const resp = await fetch(`${base}/api/v1/assets`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: bytes });
  if (resp.status !== 201 && resp.status !== 200) throw new Error(`upload: ${resp.status} ${await resp.text()}`);
  return (await resp.json()).id;
}

// A `Server-Timing` entry's duration, or NaN.
const stage = (header, name) => Number((header || '').split(',').map((e) => e.trim().split(';')).find((e) => e[0] === name)?.find((p) => p.startsWith('dur='))?.slice(4) ?? NaN);

async function timeWorker(id, options) {
  const times = [];
  const original = [];
  const render = [];
  let bytes = 0;
  for (let i = 0; i < runs + 1; i++) {
    const t0 = performance.now();
    const resp = await fetch(`${base}/img/${options}/${id}`, { headers: { 'x-edgepix-bypass-cache': '1' } });
    const body = await resp.arrayBuffer();
    const t = performance.now() - t0;
    if (resp.status !== 200) throw new Error(`${options}: ${resp.status} ${Buffer.from(body).toString()}`);
    if (i > 0) {
      // The first run warms the isolate.
      times.push(t);
      original.push(stage(resp.headers.get('server-timing'), 'original'));
      render.push(stage(resp.headers.get('server-timing'), 'render'));
    }
    bytes = body.byteLength;
  }
  return { median_ms: median(times), bytes, original_ms: median(original), render_ms: median(render) };
}

async function timeSharp(input, fn) {
  const times = [];
  let bytes = 0;
  for (let i = 0; i < runs + 1; i++) {
    const t0 = performance.now();
    const out = await fn(sharp(input)).toBuffer();
    if (i > 0) times.push(performance.now() - t0);
    bytes = out.length;
  }
  return { median_ms: median(times), bytes };
}

await mkdir(outDir, { recursive: true });
const p12 = await makePhoto(4000, 3000, `${outDir}/photo-12mp.jpg`);
const p48 = await makePhoto(8000, 6000, `${outDir}/photo-48mp.jpg`);
const id12 = await upload(p12);
const id48 = await upload(p48);

const result = {
  worker_jpeg: await timeWorker(id12, 'width=1024,format=jpeg,quality=80'),
  worker_webp: await timeWorker(id12, 'width=1024,format=webp,quality=80'),
  sharp_jpeg: await timeSharp(p12, (s) => s.resize({ width: 1024, kernel: 'lanczos3' }).jpeg({ quality: 80 })),
  sharp_webp: await timeSharp(p12, (s) => s.resize({ width: 1024, kernel: 'lanczos3' }).webp({ quality: 80 })),
  worker_48mp_jpeg: await timeWorker(id48, 'width=1024,format=jpeg,quality=80'),
  sharp_48mp_jpeg: await timeSharp(p48, (s) => s.resize({ width: 1024, kernel: 'lanczos3' }).jpeg({ quality: 80 })),
  worker_memory: await (await fetch(`${base}/__dev/memory`)).json(),
};
console.log(JSON.stringify(result));
