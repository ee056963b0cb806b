// Private mode (/studio/local) in a real browser: a real photo is chosen,
// the detector module and model load lazily, and the detections found in
// the browser are those the system finds for the same file (the Worker's
// analysis on the pool, and the pool's tract backend directly when
// EDGEPIX_POOL_SECRET is given): same classes, boxes within 2 px, scores
// within 0.01. Every request the page makes (its Web Worker's included) is
// recorded: none carries the photo's bytes or its decoded pixels, and the
// only large body is the blurred upload, whose stored asset differs from
// the original inside the detected boxes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { base, screenshot, withPage } from './browser.mjs';

const token = process.env.EDGEPIX_TOKEN_A;
const photos = process.env.EDGEPIX_PHOTOS;
const poolUrl = (process.env.EDGEPIX_POOL_URL || '').replace(/\/$/, '');
const poolSecret = process.env.EDGEPIX_POOL_SECRET;
const skip = !token || !photos ? 'EDGEPIX_TOKEN_A and EDGEPIX_PHOTOS are needed' : false;
const auth = { authorization: `Bearer ${token}` };
const WINDOW = 4096;
const sha256 = (b) => createHash('sha256').update(b).digest('hex');
const byte = () => Math.floor(Math.random() * 256);
const clientIp = () => `10.${byte()}.${byte()}.${byte()}`;

/** The Worker's analysis of `bytes`: uploaded by creator A, analysed through the queue and the pool. */
async function workerAnalysis(bytes, type) {
  let resp = await fetch(`${base}/api/v1/assets`, { method: 'POST', headers: { ...auth, 'content-type': type }, body: bytes });
  assert.ok(resp.status === 201 || resp.status === 200, await resp.clone().text());
  const { id } = await resp.json();
  resp = await fetch(`${base}/api/v1/assets/${id}/analyze`, { method: 'POST', headers: auth });
  assert.equal(resp.status, 202, await resp.clone().text());
  const job = await resp.json();
  const deadline = Date.now() + 120_000;
  for (;;) {
    const j = await (await fetch(`${base}/api/v1/jobs/${job.id}`, { headers: auth })).json();
    if (j.status === 'done') break;
    assert.notEqual(j.status, 'failed', j.error);
    assert.ok(Date.now() < deadline, `the analysis did not finish in 120 s: ${JSON.stringify(j)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  resp = await fetch(`${base}/api/v1/assets/${id}/detections`, { headers: auth });
  assert.equal(resp.status, 200);
  return resp.json();
}

/** The pool's own answer for `bytes` on `backend`, signed as the Worker signs (edgepix_core::signing). */
async function poolDetect(bytes, backend) {
  const target = `/v1/detect?backend=${backend}`;
  const t = Math.floor(Date.now() / 1000);
  const nonce = randomBytes(16).toString('hex');
  const mac = createHmac('sha256', poolSecret).update(`POST\n${target}\n${sha256(bytes)}\n${t}\n${nonce}`).digest('hex');
  const resp = await fetch(`${poolUrl}${target}`, { method: 'POST', headers: { 'x-edgepix-signature': `t=${t},n=${nonce},s=${mac}` }, body: bytes });
  assert.equal(resp.status, 200, await resp.clone().text());
  return resp.json();
}

/** Same classes in the same order, boxes within 2 px, scores within 0.01. */
function assertSameDetections(mine, theirs, what) {
  const show = (ds) => JSON.stringify(ds.map((d) => [d.class, Number(d.score.toFixed(4)), d.box]));
  assert.equal(mine.length, theirs.length, `${what}: ${show(mine)} against ${show(theirs)}`);
  theirs.forEach((d, i) => {
    const m = mine[i];
    assert.equal(m.class, d.class, `${what} #${i}: ${show(mine)} against ${show(theirs)}`);
    assert.ok(Math.abs(m.score - d.score) <= 0.01, `${what} #${i} score ${m.score} against ${d.score}`);
    m.box.forEach((v, k) => assert.ok(Math.abs(v - d.box[k]) <= 2, `${what} #${i} box ${m.box} against ${d.box}`));
  });
}

/** `body` holds an aligned `WINDOW`-byte window of `secret` (so any shared run of 2 windows or more). */
function leaks(body, secret) {
  for (let at = 0; at + WINDOW <= secret.length; at += WINDOW) {
    if (body.indexOf(secret.subarray(at, at + WINDOW)) !== -1) return at;
  }
  return -1;
}

/** Mean absolute difference of two RGB buffers over the rectangle, and outside it. */
function meanDiff(a, b, width, height, [x, y, w, h]) {
  let inside = 0, nIn = 0, outside = 0, nOut = 0;
  for (let py = 0; py < height; py++) {
    for (let px = 0; px < width; px++) {
      const i = (py * width + px) * 3;
      const d = Math.abs(a[i] - b[i]) + Math.abs(a[i + 1] - b[i + 1]) + Math.abs(a[i + 2] - b[i + 2]);
      if (px >= x && px < x + w && py >= y && py < y + h) { inside += d; nIn++; } else { outside += d; nOut++; }
    }
  }
  return { inside: inside / Math.max(1, nIn) / 3, outside: outside / Math.max(1, nOut) / 3 };
}

/** Form controls without an accessible name. */
const unnamedControls = (page) => page.$$eval('input, select, button', (els) => els
  .filter((el) => el.type !== 'hidden' && el.offsetParent !== null)
  .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby') && !(el.tagName === 'BUTTON' && el.textContent.trim()))
  .map((el) => el.id || el.outerHTML.slice(0, 60)));

/** Chooses `file` on the page and waits for the detections and the first blurred preview. */
async function choose(page, file) {
  await page.setInputFiles('#file', file);
  await page.waitForFunction(() => ['redacted', 'error'].includes(window.edgepixStudio.state), null, { timeout: 180_000 });
  const studio = await page.evaluate(() => window.edgepixStudio);
  assert.equal(studio.state, 'redacted', JSON.stringify(studio));
  return studio;
}

test('private mode: detections in the browser equal the system\'s, the photo never leaves the page, only the blurred result is uploaded', { skip, timeout: 420_000 }, async () => {
  const cases = [['astronaut.png', 'image/png'], ['grace_hopper.jpg', 'image/jpeg']];
  const originals = {};
  for (const [name, type] of cases) {
    const bytes = await readFile(`${photos}/${name}`);
    const raw = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const rgba = await sharp(bytes).ensureAlpha().raw().toBuffer();
    originals[name] = { bytes, type, rgb: raw.data, rgba, width: raw.info.width, height: raw.info.height, analysis: await workerAnalysis(bytes, type) };
    if (poolSecret && poolUrl) originals[name].tract = await poolDetect(bytes, 'tract');
  }

  // A creator of its own, signed in in the browser (the refresh cookie), as a person would be.
  const email = `studio-${Date.now()}-${randomBytes(4).toString('hex')}@example.com`;
  const password = `Correct-Horse-${randomBytes(6).toString('hex')}`;
  const ip = clientIp();
  const signup = await fetch(`${base}/api/v1/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json', 'cf-connecting-ip': ip }, body: JSON.stringify({ email, password }) });
  assert.equal(signup.status, 202, await signup.clone().text());

  await withPage(async (page, errors) => {
    const login = await page.context().request.post(`${base}/api/v1/auth/login`, { headers: { 'cf-connecting-ip': ip }, data: { email, password, session: 'cookie' } });
    assert.equal(login.status(), 200, await login.text());
    const access = (await login.json()).access_token;

    const requests = [];
    page.context().on('request', (r) => requests.push({ url: r.url(), method: r.method(), body: r.postDataBuffer() }));

    const resp = await page.goto(`${base}/studio/local`);
    assert.equal(resp.status(), 200);
    const csp = resp.headers()['content-security-policy'] || '';
    assert.match(csp, /connect-src 'self'/);
    assert.match(csp, /'wasm-unsafe-eval'/);
    await page.waitForFunction(() => window.edgepixStudio.signedIn !== undefined);
    assert.equal(await page.evaluate(() => window.edgepixStudio.signedIn), true);
    // Nothing heavy is loaded before a photo is chosen.
    assert.ok(!requests.some((r) => /\/detect\/|\/models\//.test(r.url)), 'the detector loaded before a photo was chosen');
    assert.deepEqual(await unnamedControls(page), []);

    const found = {};
    for (const [name] of cases) {
      const o = originals[name];
      const studio = await choose(page, `${photos}/${name}`);
      found[name] = studio.result;
      assert.equal(studio.result.width, o.width);
      assert.equal(studio.result.height, o.height);
      assert.equal(studio.result.backend, 'tract-wasm');
      assert.ok(studio.result.detections.length > 0, `nothing found in ${name}`);
      assertSameDetections(studio.result.detections, o.analysis.detections, `${name}: browser against the Worker's analysis (${o.analysis.model})`);
      if (o.tract) assertSameDetections(studio.result.detections, o.tract.detections, `${name}: browser against the pool's tract`);
      console.log(`# ${name}: ${studio.result.detections.map((d) => `${d.class} ${d.score.toFixed(3)} [${d.box}]`).join('; ')}; timing ${JSON.stringify(studio.result.timing)}; detector load ${Math.round(studio.loadMs)} ms`);
    }

    // The last photo (a JPEG) is on the page; go back to the PNG for an exact pixel check.
    const name = 'astronaut.png';
    const o = originals[name];
    await choose(page, `${photos}/${name}`);
    const dets = found[name].detections;
    const faces = [...new Set(dets.map((d) => d.class))];
    // Nothing is hidden by the default policy (faces are left alone): nothing to upload yet.
    assert.ok(await page.isDisabled('#upload'));
    // Switch region 1 off and on again from the keyboard, then blur every class found.
    await page.focus('#regions input[data-index="0"]');
    await page.keyboard.press('Space');
    await page.keyboard.press('Space');
    for (const cls of faces) await page.selectOption(`#action-${cls}`, 'blur:full');
    await page.waitForFunction(() => window.edgepixStudio.state === 'redacted' && !window.edgepixStudio.redaction.pending && !document.getElementById('upload').disabled, null, { timeout: 60_000 });
    const plan = await page.evaluate(() => window.edgepixStudio.redaction.plan);
    assert.deepEqual(plan.off, []);
    for (const cls of faces) assert.equal(plan.policy.classes[cls], 'blur:full');

    await page.click('#upload');
    await page.waitForFunction(() => window.edgepixStudio.upload || !document.getElementById('error').hidden, null, { timeout: 60_000 });
    const upload = await page.evaluate(() => window.edgepixStudio.upload);
    assert.ok(upload, await page.textContent('#error'));
    await page.waitForSelector('#upload-status a');

    // Every request the page and its worker made: the detector and model were fetched (so the worker's requests are seen) ...
    assert.ok(requests.some((r) => r.url.endsWith('/models/320n.onnx')), 'the model request was not recorded');
    assert.ok(requests.some((r) => r.url.includes('/detect/edgepix_detect')), 'the module request was not recorded');
    // ... and no body carries a photo's bytes or pixels; only the upload is large.
    const uploads = requests.filter((r) => r.method === 'POST' && new URL(r.url).pathname === '/api/v1/assets');
    assert.equal(uploads.length, 1);
    for (const r of requests) {
      // A body the audit cannot read would pass unseen: every request that may carry one must show it.
      if (!['GET', 'HEAD'].includes(r.method)) assert.ok(r.body, `${r.method} ${r.url}: its body is not visible to the audit`);
      if (!r.body) continue;
      for (const [n, p] of Object.entries(originals)) {
        for (const [what, secret] of [['file', p.bytes], ['RGB pixels', p.rgb], ['RGBA pixels', p.rgba]]) {
          const at = leaks(r.body, secret);
          assert.equal(at, -1, `${r.method} ${r.url} carries ${n}'s ${what} (at byte ${at})`);
        }
        if (r !== uploads[0]) assert.ok(r.body.length < p.bytes.length / 4, `${r.method} ${r.url} has a ${r.body.length}-byte body`);
      }
    }

    // The stored asset is the blurred picture: another SHA-256, the same size, blurred inside the faces only.
    const body = uploads[0].body;
    assert.equal(upload.id, sha256(body));
    assert.notEqual(upload.id, sha256(o.bytes));
    const stored = await fetch(`${base}/api/v1/assets/${upload.id}`, { headers: { authorization: `Bearer ${access}` } });
    assert.equal(stored.status, 200);
    const record = await stored.json();
    assert.equal(record.width, o.width);
    assert.equal(record.height, o.height);
    const blurred = await sharp(body).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    assert.equal(blurred.info.width, o.width);
    for (const d of dets) {
      const diff = meanDiff(blurred.data, o.rgb, o.width, o.height, d.box);
      assert.ok(diff.inside > 8, `${d.class} [${d.box}] barely changed: mean difference ${diff.inside}`);
      console.log(`# upload ${upload.type}, ${upload.bytes} bytes; ${d.class} [${d.box}] mean difference inside ${diff.inside.toFixed(1)}, outside ${diff.outside.toFixed(2)}`);
    }

    await screenshot(page, 'studio-local');
    // A phone's width: no sideways scrolling.
    await page.setViewportSize({ width: 390, height: 844 });
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'the page scrolls sideways at 390 px');
    await screenshot(page, 'studio-local-phone');
    assert.deepEqual(errors, []);
  });
});
