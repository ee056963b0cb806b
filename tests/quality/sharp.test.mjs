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

// The page tests run beside these from the same address, so the API's
// per-address limit (100 a minute) can answer 429: wait as Retry-After says
// (as any client should) when that is within a minute, then try again.
async function upload(bytes) {
  for (let attempt = 0; ; attempt++) {
    const resp = await fetch(`${base}/api/v1/assets`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: bytes });
    const retry = Number(resp.headers.get('retry-after'));
    if (resp.status === 429 && attempt < 2 && retry > 0 && retry <= 60) {
      await new Promise((ok) => setTimeout(ok, retry * 1000));
      continue;
    }
    if (resp.status !== 201 && resp.status !== 200) assert.fail(`upload: ${resp.status} ${await resp.text()}`);
    return (await resp.json()).id;
  }
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

// WebP with transparency is lossy colour plus an exact alpha plane, as
// libwebp writes it: libwebp (through sharp) decodes it with the same
// alpha as our lossless PNG of the same derivative, close colours where
// the pixels show, and a file smaller than lossless WebP would be.
test('transparent WebP: libwebp decodes exact alpha and close colours', async () => {
  const source = await readFile(`${photos}/astronaut.png`);
  const { data: pixels, info } = await sharp(source).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const { width, height } = info;
  // A soft-edged disc of opacity over the photo: every alpha value occurs.
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [i, r] = [y * width + x, Math.hypot(x - width / 2, y - height / 2) / (Math.min(width, height) / 2)];
      pixels.copy(rgba, i * 4, i * 3, i * 3 + 3);
      rgba[i * 4 + 3] = Math.max(0, Math.min(255, Math.round((1.1 - r) * 512)));
    }
  }
  const png = await sharp(rgba, { raw: { width, height, channels: 4 } }).png().toBuffer();
  const id = await upload(png);
  const get = async (options) => {
    const resp = await fetch(`${base}/img/${options}/${id}`);
    assert.equal(resp.status, 200, options);
    return Buffer.from(await resp.arrayBuffer());
  };
  const webp = await get('width=300,format=webp,quality=80');
  const lossless = await get('width=300,format=png');
  assert.equal(webp.subarray(12, 16).toString('latin1'), 'VP8X');
  const raw = async (buf) => sharp(buf).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const [a, b] = [await raw(webp), await raw(lossless)];
  assert.equal(a.info.width, b.info.width);
  assert.equal(a.info.height, b.info.height);
  let [se, n, alphaOff] = [0, 0, 0];
  for (let i = 0; i < a.data.length; i += 4) {
    if (a.data[i + 3] !== b.data[i + 3]) alphaOff++;
    if (b.data[i + 3] === 255) {
      for (let c = 0; c < 3; c++) se += (a.data[i + c] - b.data[i + c]) ** 2;
      n += 3;
    }
  }
  const db = 10 * Math.log10((255 * 255) / (se / n));
  const losslessWebp = await sharp(lossless).webp({ lossless: true }).toBuffer();
  console.log(`# transparent WebP: ${webp.length} B (lossless WebP ${losslessWebp.length} B), opaque pixels ${db.toFixed(2)} dB, ${alphaOff} alpha values off`);
  assert.equal(alphaOff, 0, 'alpha is exact');
  assert.ok(db >= 30, `opaque pixels at ${db.toFixed(2)} dB`);
  assert.ok(webp.length < losslessWebp.length / 2, `${webp.length} B against ${losslessWebp.length} B lossless`);
});
