// The safe-blur studio and the public "tap to reveal" page in a real
// browser, on a real photo analysed by the real pool: the studio's preview
// (the browser module's applyPolicy) must equal the Worker's blurred image
// byte for byte; switching a region off must reach the Worker; a public
// viewer fetches an unblurred region only when tapping it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { base, screenshot, withPage } from './browser.mjs';

const token = process.env.EDGEPIX_TOKEN_A;
const photos = process.env.EDGEPIX_PHOTOS;
const skip = !token || !photos ? 'EDGEPIX_TOKEN_A and EDGEPIX_PHOTOS are needed' : false;
const auth = { authorization: `Bearer ${token}` };

/** `name` as a PNG with one random corner pixel: an asset no other test holds. */
async function uniquePng(name) {
  const { data, info } = await sharp(`${photos}/${name}`).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  randomBytes(3).copy(data, 0);
  return sharp(data, { raw: info }).png().toBuffer();
}

/** Uploads and analyses `png`; its id and detections. */
async function analysed(png) {
  let resp = await fetch(`${base}/api/v1/assets`, { method: 'POST', headers: { ...auth, 'content-type': 'image/png' }, body: png });
  assert.equal(resp.status, 201, await resp.clone().text());
  const { id } = await resp.json();
  resp = await fetch(`${base}/api/v1/assets/${id}/analyze`, { method: 'POST', headers: auth });
  assert.equal(resp.status, 202, await resp.clone().text());
  const job = await resp.json();
  const deadline = Date.now() + 60_000;
  for (;;) {
    const now = await (await fetch(`${base}${job.urls.this}`, { headers: auth })).json();
    if (now.status === 'done') break;
    assert.notEqual(now.status, 'failed', now.error);
    assert.ok(Date.now() < deadline, `the analysis did not finish in 60 s: ${JSON.stringify(now)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const analysis = await (await fetch(`${base}/api/v1/assets/${id}/detections`, { headers: auth })).json();
  return { id, analysis };
}

/** In the page: bytes where the preview canvas differs from the Worker's
 *  PNG at `options`, and bytes changed inside and outside `box` against
 *  the Worker's unblurred PNG at `plainOptions`. */
const compare = async ({ id, options, plainOptions, box }) => {
  const pixelsOf = async (opts) => {
    const blob = await (await fetch(`/img/${opts}/${id}`, { cache: 'no-store', headers: { Authorization: `Bearer ${sessionStorage.getItem('edgepix.token')}` } })).blob();
    const bmp = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
    const ctx = new OffscreenCanvas(bmp.width, bmp.height).getContext('2d');
    ctx.drawImage(bmp, 0, 0);
    return ctx.getImageData(0, 0, bmp.width, bmp.height);
  };
  const canvas = document.getElementById('preview');
  const preview = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
  const served = await pixelsOf(options);
  const plain = await pixelsOf(plainOptions);
  let differing = 0, changedInside = 0, changedOutside = 0;
  for (let i = 0; i < preview.data.length; i++) {
    if (preview.data[i] !== served.data[i]) differing++;
    const p = i >> 2, x = p % canvas.width, y = Math.floor(p / canvas.width);
    const inside = x >= box[0] && x < box[0] + box[2] && y >= box[1] && y < box[1] + box[3];
    if (preview.data[i] !== plain.data[i]) inside ? changedInside++ : changedOutside++;
  }
  return { size: [preview.width, preview.height, served.width, served.height], differing, changedInside, changedOutside };
};

const state = { id: null, face: null, name: `studio-${randomBytes(4).toString('hex')}` };

test('the studio previews a policy bit for bit as the Worker serves it, switches regions and saves', { skip, timeout: 180_000 }, async () => {
  const { id, analysis } = await analysed(await uniquePng('astronaut.png'));
  const face = analysis.detections.findIndex((d) => d.class === 'FACE_FEMALE');
  assert.ok(face >= 0, `a face in ${JSON.stringify(analysis)}`);
  Object.assign(state, { id, face });
  const box = analysis.detections[face].box;

  await withPage(async (page, errors) => {
    await page.addInitScript((t) => sessionStorage.setItem('edgepix.token', t), token);
    const ready = async (renders) => page.waitForFunction((n) => {
      const s = window.edgepixStudio;
      return s && (s.state === 'error' || (s.state === 'ready' && s.renders > n));
    }, renders, { timeout: 60_000 });
    await page.goto(`${base}/studio/${id}`);
    await ready(0);
    let s = await page.evaluate(() => window.edgepixStudio);
    assert.equal(s.state, 'ready', JSON.stringify(s));
    // Every detection is outlined, labelled and switchable.
    assert.equal(await page.locator('.box').count(), analysis.detections.length);
    assert.match(await page.locator(`.box[data-region="${face}"]`).innerText(), /FACE_FEMALE/);

    // A new policy: faces blurred `full`, revealable, padding 0.
    await page.locator('#policy-name').fill(state.name);
    await page.locator('#policy-name').press('Tab');
    await ready(s.renders);
    s = await page.evaluate(() => window.edgepixStudio);
    await page.selectOption('tr[data-class="FACE_FEMALE"] select', 'blur:full');
    await ready(s.renders);
    s = await page.evaluate(() => window.edgepixStudio);
    await page.check('tr[data-class="FACE_FEMALE"] input[type=checkbox]');
    await ready(s.renders);
    s = await page.evaluate(() => window.edgepixStudio);
    await page.locator('#padding').evaluate((el) => { el.value = '0'; el.dispatchEvent(new Event('input', { bubbles: true })); });
    await ready(s.renders);
    s = await page.evaluate(() => window.edgepixStudio);
    assert.equal(s.policy.classes.FACE_FEMALE, 'blur:full');
    assert.deepEqual(s.policy.reveal, ['FACE_FEMALE']);
    await page.click('#save');
    await page.waitForFunction(() => window.edgepixStudio.saved, null, { timeout: 30_000 });

    // The preview is what the Worker serves for the saved policy, byte for byte.
    const args = { id, options: `format=png,policy=${state.name}`, plainOptions: 'format=png', box };
    let cmp = await page.evaluate(compare, args);
    assert.deepEqual(cmp.size, [512, 512, 512, 512]);
    assert.equal(cmp.differing, 0, `the preview differs from the Worker's image in ${cmp.differing} bytes`);
    assert.ok(cmp.changedInside > 1000, `the face was blurred: ${JSON.stringify(cmp)}`);
    await screenshot(page, 'studio');

    // Switching the face off: the preview and then the Worker leave it.
    await page.click(`.box[data-region="${face}"]`);
    await ready(s.renders);
    s = await page.evaluate(() => window.edgepixStudio);
    assert.deepEqual(s.off, [face]);
    assert.equal(await page.locator(`#region-${face}`).isChecked(), false, 'the list follows the outline');
    await page.click('#save');
    await page.waitForFunction((f) => (window.edgepixStudio.saved?.off || []).includes(f), face, { timeout: 30_000 });
    cmp = await page.evaluate(compare, args);
    assert.equal(cmp.differing, 0);
    assert.equal(cmp.changedInside, 0, 'a switched-off face is served as it is');
    // On again, saved again, for the public page below.
    await page.click(`#region-${face}`);
    await page.click('#save');
    await page.waitForFunction(() => (window.edgepixStudio.saved?.off || []).length === 0, null, { timeout: 30_000 });
    assert.deepEqual(errors, []);
  });
});

test('a public viewer sees the blurred image and fetches a region unblurred only on a tap', { skip, timeout: 120_000 }, async () => {
  assert.ok(state.id, 'the studio test ran first');
  await withPage(async (page, errors) => {
    const requests = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`${base}/safe/${state.id}?policy=${state.name}`);
    await page.waitForFunction(() => window.edgepixSafe && window.edgepixSafe.state !== 'loading', null, { timeout: 30_000 });
    const s = await page.evaluate(() => window.edgepixSafe);
    assert.equal(s.state, 'ready', JSON.stringify(s));
    assert.deepEqual(s.regions, [state.face]);
    assert.ok(requests.some((u) => u.includes(`policy=${state.name}/`)), 'the served image is the blurred one');
    assert.ok(!requests.some((u) => u.includes('reveal=')), 'nothing unblurred before a tap');
    assert.ok(!requests.some((u) => /\/img\/[^/]*\//.test(u) && !u.includes('policy=')), 'never the original');
    await screenshot(page, 'safe');
    await page.click(`.reveal[data-region="${state.face}"]`);
    await page.waitForFunction(() => window.edgepixSafe.revealed.length === 1, null, { timeout: 30_000 });
    const reveal = requests.find((u) => u.includes('reveal='));
    assert.ok(reveal && reveal.includes(`reveal=${state.face}`), reveal);
    const resp = await fetch(reveal);
    assert.equal(resp.status, 200);
    assert.equal(await page.locator(`.reveal[data-region="${state.face}"] img`).count(), 1);
    await screenshot(page, 'safe-revealed');
    // Tapping again blurs it again.
    await page.click(`.reveal[data-region="${state.face}"]`);
    assert.equal(await page.locator(`.reveal[data-region="${state.face}"] img`).count(), 0);
    assert.deepEqual(errors, []);
  });
});
