// Protected viewing in a real browser: an automated browser is refused; a
// browser that behaves like a person (no automation flags, a normal user
// agent, a wandering pointer) sees the artwork on a canvas whose SSIM with
// the view image is in the seed's 0.95-0.98 band, while no response ever
// carried the unscrambled image; a JPEG q75 screenshot of that canvas
// names the viewer's ticket through /api/v1/forensics/identify.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { base, screenshot, withPage } from './browser.mjs';

const token = process.env.EDGEPIX_TOKEN_A;
const photos = process.env.EDGEPIX_PHOTOS;
const skip = !token || !photos ? 'EDGEPIX_TOKEN_A and EDGEPIX_PHOTOS are needed' : false;
const auth = { authorization: `Bearer ${token}` };
const PERSON_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';

/** A real photo at 1024 px wide with one random pixel, protected by creator A. */
async function protectedPhoto(name) {
  const pixel = await sharp({ create: { width: 1, height: 1, channels: 3, background: { r: randomBytes(1)[0], g: randomBytes(1)[0], b: randomBytes(1)[0] } } }).png().toBuffer();
  const png = await sharp(await readFile(`${photos}/${name}`)).resize({ width: 1024 }).composite([{ input: pixel, left: 0, top: 0 }]).png().toBuffer();
  let resp = await fetch(`${base}/api/v1/assets`, { method: 'POST', headers: { ...auth, 'content-type': 'image/png' }, body: png });
  assert.equal(resp.status, 201);
  const { id } = await resp.json();
  resp = await fetch(`${base}/api/v1/assets/${id}/protection`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ noiseLevel: 0.2 }) });
  assert.equal(resp.status, 200, await resp.text());
  const view = await fetch(`${base}/img/width=2048,height=2048,fit=scale-down,format=png/${id}`, { headers: auth });
  assert.equal(view.status, 200);
  return { id, viewPng: Buffer.from(await view.arrayBuffer()) };
}

/** Moves the pointer along a wandering, unevenly timed path. */
async function wander(page, ms) {
  const end = Date.now() + ms;
  let [x, y, a] = [300, 300, 0];
  while (Date.now() < end) {
    a += 0.6 + Math.random() * 0.9;
    x = Math.max(5, Math.min(1100, x + Math.cos(a) * (8 + Math.random() * 20)));
    y = Math.max(5, Math.min(800, y + Math.sin(a) * (6 + Math.random() * 14)));
    await page.mouse.move(x, y, { steps: 1 + Math.floor(Math.random() * 3) });
    await page.waitForTimeout(8 + Math.random() * 20);
  }
}

/** SSIM (the shared crate's, through the browser module) of the canvas
 *  `#art` against PNG/JPEG `bytes` (base64), cropped to the canvas size. */
async function ssimInPage(page, bytes) {
  return page.evaluate(async (b64) => {
    const m = await import('/pkg/edgepix_client.js');
    await m.default();
    const art = document.getElementById('art');
    const { width: w, height: h } = art;
    const mine = art.getContext('2d').getImageData(0, 0, w, h).data;
    const blob = new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))]);
    const bmp = await createImageBitmap(blob);
    const c = document.createElement('canvas');
    c.width = w; c.height = h;
    const ctx = c.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(bmp, 0, 0);
    return m.ssim(mine, ctx.getImageData(0, 0, w, h).data, w, h);
  }, bytes.toString('base64'));
}

test('view: an automated browser is refused with a way to retry', { skip }, async () => {
  const { id } = await protectedPhoto('chelsea.png');
  await withPage(async (page) => {
    const resp = await page.goto(`${base}/view/${id}`);
    assert.equal(resp.status(), 200);
    await page.waitForFunction(() => window.edgepixView && window.edgepixView.state !== 'loading', null, { timeout: 30000 });
    const state = await page.evaluate(() => window.edgepixView);
    assert.equal(state.state, 'error');
    assert.equal(state.code, 'bot_suspected', JSON.stringify(state));
    assert.ok(await page.isVisible('#retry'));
    assert.ok(await page.isHidden('#art'));
    await screenshot(page, 'view-refused');
  });
});

test('view: a person sees the artwork; the network never carries it unscrambled; a JPEG q75 screenshot names the ticket', { skip }, async () => {
  const { id, viewPng } = await protectedPhoto('coffee.png');
  await withPage(async (page, errors) => {
    // Every image response, by URL; the ticket images' bytes through a
    // pass-through route (a fetch's body is not kept for response events).
    const imageUrls = [];
    const tickets = [];
    page.on('response', (r) => {
      if ((r.headers()['content-type'] || '').startsWith('image/')) imageUrls.push(r.url());
    });
    await page.route(/\/api\/v1\/tickets\/[^/]+\/image$/, async (route) => {
      const resp = await route.fetch();
      const body = await resp.body();
      tickets.push({ url: route.request().url(), body });
      await route.fulfill({ response: resp, body });
    });
    await page.goto(`${base}/view/${id}`);
    await wander(page, 700);
    await page.waitForFunction(() => window.edgepixView && window.edgepixView.state !== 'loading', null, { timeout: 30000 });
    let state = await page.evaluate(() => window.edgepixView);
    if (state.code === 'bot_suspected') {
      // A person who was still long enough gets the retry button.
      await wander(page, 300);
      await page.click('#retry');
      await page.waitForFunction(() => window.edgepixView.state !== 'loading' && window.edgepixView.state !== 'error', null, { timeout: 30000 }).catch(() => {});
      state = await page.evaluate(() => window.edgepixView);
    }
    assert.equal(state.state, 'shown', JSON.stringify(state));
    const meta = await sharp(viewPng).metadata();
    assert.equal(state.width, meta.width);
    assert.equal(state.height, meta.height);
    assert.match(state.ticket, /^tkt_[0-9a-f]{32}$/);
    assert.ok(await page.isVisible('#art'));
    await page.waitForSelector('#proof.ok', { timeout: 15000 });
    assert.match(await page.textContent('#proof'), /Content proof verified/);

    const s = await ssimInPage(page, viewPng);
    assert.ok(s >= 0.95 && s <= 0.98, `canvas SSIM ${s} with the view image`);

    // Only the ticket's scrambled image came over the network, and it is noise to SSIM.
    assert.ok(imageUrls.length >= 1 && tickets.length >= 1);
    for (const url of imageUrls) assert.match(url, /\/api\/v1\/tickets\/[^/]+\/image$/, `an image from ${url}`);
    for (const img of tickets) {
      const scrambled = await ssimInPage(page, img.body);
      assert.ok(scrambled < 0.3, `the scrambled image has SSIM ${scrambled} with the canvas`);
    }

    // A leak: a screenshot of the canvas, as JPEG q75.
    const leak = await page.locator('#art').screenshot({ type: 'jpeg', quality: 75 });
    const resp = await fetch(`${base}/api/v1/forensics/identify?asset=${id}`, { method: 'POST', headers: { ...auth, 'content-type': 'image/jpeg' }, body: leak });
    assert.equal(resp.status, 200);
    const found = await resp.json();
    assert.equal(found.match && found.match.ticket, state.ticket, JSON.stringify(found));
    const cookies = await page.context().cookies(`${base}/api/v1/`);
    const viewer = cookies.find((c) => c.name === 'edgepix_viewer');
    assert.ok(viewer, 'the viewer cookie');
    assert.equal(found.match.viewer, viewer.value);
    console.log(`# canvas SSIM ${s.toFixed(4)}; leak (JPEG q75 screenshot) identified: z ${found.match.z.toFixed(1)}, ${found.match.bitErrors} bit errors, registration ${JSON.stringify(found.registration)}; timings ${JSON.stringify(state.timings)}`);
    await screenshot(page, 'view');
    assert.deepEqual(errors, []);
  }, {
    // A person's browser: no automation switch, no webdriver flag, no "Headless" in the user agent.
    ignoreDefaultArgs: ['--enable-automation'],
    args: ['--disable-blink-features=AutomationControlled'],
    userAgent: PERSON_UA,
    viewport: { width: 1400, height: 1000 },
  });
});
