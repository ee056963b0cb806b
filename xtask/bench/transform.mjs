// The transform benchmark's JavaScript side, run by `cargo xtask bench
// transform`: makes the test photos (a real photo upscaled with sharp), then
// times the local Worker over HTTP (caches bypassed) and sharp itself
// (libvips, one thread), in the same run, a request and a sharp call in
// turn. Prints one JSON object.
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

// One Worker request (caches bypassed): its time, size and Server-Timing.
async function workerOnce(id, options) {
  const t0 = performance.now();
  const resp = await fetch(`${base}/img/${options}/${id}`, { headers: { 'x-edgepix-bypass-cache': '1' } });
  const body = await resp.arrayBuffer();
  const ms = performance.now() - t0;
  if (resp.status !== 200) throw new Error(`${options}: ${resp.status} ${Buffer.from(body).toString()}`);
  const timing = resp.headers.get('server-timing');
  return { ms, bytes: body.byteLength, original: stage(timing, 'original'), render: stage(timing, 'render') };
}

// The same transformation through the Worker and through sharp, one of
// each per round, so that both sides see the same machine: on a shared
// 2-core machine, timing one side's runs and then the other's lets the
// load of the moment decide the ratio. The first round warms both.
async function timePair(id, options, input, fn) {
  const worker = { times: [], original: [], render: [], bytes: 0 };
  const peer = { times: [], bytes: 0 };
  for (let i = 0; i < runs + 1; i++) {
    const w = await workerOnce(id, options);
    const t0 = performance.now();
    const out = await fn(sharp(input)).toBuffer();
    const s = performance.now() - t0;
    if (i > 0) {
      worker.times.push(w.ms);
      worker.original.push(w.original);
      worker.render.push(w.render);
      peer.times.push(s);
    }
    worker.bytes = w.bytes;
    peer.bytes = out.length;
  }
  return [
    { median_ms: median(worker.times), bytes: worker.bytes, original_ms: median(worker.original), render_ms: median(worker.render) },
    { median_ms: median(peer.times), bytes: peer.bytes },
  ];
}

await mkdir(outDir, { recursive: true });
const p12 = await makePhoto(4000, 3000, `${outDir}/photo-12mp.jpg`);
const p48 = await makePhoto(8000, 6000, `${outDir}/photo-48mp.jpg`);
const id12 = await upload(p12);
const id48 = await upload(p48);

const resize = (s) => s.resize({ width: 1024, kernel: 'lanczos3' });
const [workerJpeg, sharpJpeg] = await timePair(id12, 'width=1024,format=jpeg,quality=80', p12, (s) => resize(s).jpeg({ quality: 80 }));
const [workerWebp, sharpWebp] = await timePair(id12, 'width=1024,format=webp,quality=80', p12, (s) => resize(s).webp({ quality: 80 }));
const [worker48, sharp48] = await timePair(id48, 'width=1024,format=jpeg,quality=80', p48, (s) => resize(s).jpeg({ quality: 80 }));
const result = {
  worker_jpeg: workerJpeg,
  worker_webp: workerWebp,
  sharp_jpeg: sharpJpeg,
  sharp_webp: sharpWebp,
  worker_48mp_jpeg: worker48,
  sharp_48mp_jpeg: sharp48,
  worker_memory: await (await fetch(`${base}/__dev/memory`)).json(),
};
console.log(JSON.stringify(result));
