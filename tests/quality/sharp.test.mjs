// Resize quality of the Worker's engine against sharp (libvips) lanczos3,
// on real photos: PSNR >= 35 dB. Lossless PNG on both sides. Both convert
// embedded ICC profiles to sRGB: rocket.jpg carries a non-sRGB one (read
// as sRGB it is 29.7 dB from sharp's decode), astronaut.png and
// chelsea.png the sRGB one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';

const base = (process.env.EDGEPIX_URL || '').replace(/\/$/, '');
const photos = process.env.EDGEPIX_PHOTOS;
const token = process.env.EDGEPIX_TOKEN_A;
if (!base || !photos || !token) throw new Error('run through `cargo xtask test` (EDGEPIX_URL, EDGEPIX_PHOTOS, EDGEPIX_TOKEN_A)');

async function upload(bytes) {
  const resp = await fetch(`${base}/api/v1/assets`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: bytes });
  assert.ok(resp.status === 201 || resp.status === 200, `upload: ${resp.status}`);
  return (await resp.json()).id;
}

async function rgb(buf) {
  const { data, info } = await sharp(buf).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

function psnr(a, b) {
  assert.equal(a.width, b.width);
  assert.equal(a.height, b.height);
  let se = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = a.data[i] - b.data[i];
    se += d * d;
  }
  const mse = se / a.data.length;
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}

const cases = [
  ['chelsea.png', 200],
  ['coffee.png', 333],
  ['astronaut.png', 256],
  ['rocket.jpg', 320],
  ['grace_hopper.jpg', 100],
  ['motorcycle_left.png', 500],
];

for (const [name, width] of cases) {
  test(`${name} resized to ${width} px matches sharp's lanczos3 at >= 35 dB`, async () => {
    const bytes = await readFile(`${photos}/${name}`);
    const id = await upload(bytes);
    const resp = await fetch(`${base}/img/width=${width},format=png/${id}`);
    assert.equal(resp.status, 200);
    const ours = await rgb(Buffer.from(await resp.arrayBuffer()));
    const theirs = await rgb(await sharp(bytes).resize({ width, kernel: 'lanczos3' }).png().toBuffer());
    const db = psnr(ours, theirs);
    console.log(`# ${name} -> ${width}px: PSNR ${db.toFixed(2)} dB against sharp`);
    assert.ok(db >= 35, `PSNR ${db.toFixed(2)} dB < 35`);
  });
}
