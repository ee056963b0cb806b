// The playground page, in a real browser: token, upload, controls, preview,
// headers, format=json info, and an API error shown in the page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base, screenshot, withPage } from './browser.mjs';

const token = process.env.EDGEPIX_TOKEN_A;
const photos = process.env.EDGEPIX_PHOTOS;

// The one console line the page is allowed: Chromium reports the 422 that
// the too-large request answers as a failed resource.
const EXPECTED_422 = /^Failed to load resource: the server responded with a status of 422 \(Unprocessable (Entity|Content)\)$/;

/** Waits until the preview shows (or failed on) an /img URL that contains every one of `parts`. */
async function waitForResult(page, parts, state) {
  await page.waitForFunction(
    ([parts, state]) => {
      const url = document.getElementById('preview').dataset.url || '';
      return document.body.dataset.state === state && parts.every((p) => url.includes(p));
    },
    [parts, state],
    { timeout: 30000 },
  );
}

test('playground: upload, transform through the controls, see the result and an API error', { skip: !token || !photos ? 'EDGEPIX_TOKEN_A and EDGEPIX_PHOTOS are needed' : false }, async () => {
  await withPage(async (page, errors) => {
    const resp = await page.goto(`${base}/playground`);
    assert.equal(resp.status(), 200);
    assert.match(resp.headers()['content-type'], /^text\/html/);
    assert.equal(await page.title(), 'edgepix playground');

    // Every form control has an accessible name.
    const unnamed = await page.$$eval('input, select, button', (els) => els
      .filter((el) => el.type !== 'hidden')
      .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby') && !(el.tagName === 'BUTTON' && el.textContent.trim()))
      .map((el) => el.id || el.outerHTML.slice(0, 60)));
    assert.deepEqual(unnamed, []);

    // Token, kept in sessionStorage.
    await page.fill('#token', token);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('edgepix.playground.token')), token);

    // Upload through the file input: the untransformed original shows.
    await page.setInputFiles('#file', `${photos}/chelsea.png`);
    await waitForResult(page, ['/img/original/'], 'ready');
    assert.match(await page.textContent('#upload-status'), /451×300 png/);
    assert.equal(await page.$eval('#preview', (img) => img.naturalWidth), 451);
    const id = await page.$eval('#preview', (img) => img.dataset.url.split('/').pop());
    assert.match(id, /^[0-9a-f]{64}$/);
    // The uploaded image is in the "pick one" list.
    await page.waitForFunction((id) => [...document.querySelectorAll('#asset option')].some((o) => o.value === id), id, { timeout: 10000 });
    assert.equal(await page.inputValue('#asset'), id);

    // Width 200, format jpeg through the controls.
    await page.fill('#width', '200');
    await page.selectOption('#format', 'jpeg');
    await waitForResult(page, ['/img/width=200,format=jpeg/'], 'ready');
    const url = await page.inputValue('#url');
    assert.equal(url, `${base}/img/width=200,format=jpeg/${id}`);
    assert.equal(await page.$eval('#preview', (img) => img.naturalWidth), 200);
    assert.equal(await page.$eval('#preview', (img) => img.naturalHeight), 133);
    assert.ok(await page.isVisible('#preview'));
    assert.ok(await page.isHidden('#error'));
    assert.equal(await page.textContent('#meta-type'), 'image/jpeg');
    assert.equal(await page.textContent('#meta-dims'), '200 × 133');
    assert.match(await page.textContent('#meta-size'), /^[\d,]+ bytes/);
    assert.match(await page.textContent('#meta-cache'), /^(HIT-EDGE|HIT-R2|MISS)$/);
    assert.match(await page.textContent('#meta-timing'), /dur=/);
    // The slider followed the number field.
    assert.equal(await page.inputValue('#width-range'), '200');
    // The Info box describes the same options as format=json.
    await page.waitForFunction(() => document.getElementById('info').textContent.includes('"original"'), null, { timeout: 15000 });
    const info = JSON.parse(await page.textContent('#info'));
    assert.equal(info.width, 200);
    assert.equal(info.height, 133);
    assert.equal(info.original.width, 451);

    // A background colour is written with %23.
    await page.selectOption('#fit', 'pad');
    await page.fill('#height', '200');
    await page.locator('#background').fill('#ff8800');
    await waitForResult(page, ['/img/width=200,height=200,fit=pad,format=jpeg,background=%23ff8800/'], 'ready');
    assert.equal(await page.inputValue('#url'), `${base}/img/width=200,height=200,fit=pad,format=jpeg,background=%23ff8800/${id}`);
    assert.equal(await page.textContent('#meta-dims'), '200 × 200');
    await page.fill('#height', '');
    await page.uncheck('#background-on');
    await page.selectOption('#fit', 'scale-down');
    await waitForResult(page, ['/img/width=200,format=jpeg/'], 'ready');
    assert.equal(await page.inputValue('#url'), `${base}/img/width=200,format=jpeg/${id}`);
    await screenshot(page, 'playground');

    // Too large an output: the API answers 422 and the page says why.
    await page.fill('#width', '8000');
    await page.selectOption('#fit', 'contain');
    await waitForResult(page, ['/img/width=8000,fit=contain,format=jpeg/'], 'error');
    assert.ok(await page.isVisible('#error'));
    assert.ok(await page.isHidden('#preview'));
    const shown = await page.textContent('#error');
    assert.match(shown, /422 image_too_large/);
    const direct = await page.evaluate(async (u) => (await (await fetch(u)).json()).error, `/img/width=8000,fit=contain,format=jpeg/${id}`);
    assert.equal(direct.code, 'image_too_large');
    assert.ok(shown.includes(direct.message), `${shown} should include ${direct.message}`);
    assert.equal(await page.textContent('#meta-type'), '–');
    await screenshot(page, 'playground-error');

    // Back to a good state: the error goes away.
    await page.fill('#width', '300');
    await waitForResult(page, ['/img/width=300,fit=contain,format=jpeg/'], 'ready');
    assert.ok(await page.isHidden('#error'));
    assert.equal(await page.$eval('#preview', (img) => img.naturalWidth), 300);

    // A narrow phone: one column, nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than a phone`);
    await screenshot(page, 'playground-phone');

    assert.deepEqual(errors.filter((e) => !EXPECTED_422.test(e)), []);
  });
});

test('playground: API errors on upload are shown in the page', async () => {
  await withPage(async (page, errors) => {
    await page.goto(`${base}/playground`);
    // No token: the page says so without calling the API.
    await page.setInputFiles('#file', { name: 'x.png', mimeType: 'image/png', buffer: Buffer.from('not a png') });
    await page.waitForSelector('#upload-error:not([hidden])');
    assert.match(await page.textContent('#upload-error'), /token/);
    // A bad token: the API's 401 message is shown.
    await page.fill('#token', 'not-a-real-token');
    await page.setInputFiles('#file', { name: 'y.png', mimeType: 'image/png', buffer: Buffer.from('still not a png') });
    await page.waitForFunction(() => /401 unauthorized/.test(document.getElementById('upload-error').textContent), null, { timeout: 10000 });
    assert.deepEqual(errors.filter((e) => !/^Failed to load resource: the server responded with a status of 401 \(Unauthorized\)$/.test(e)), []);
  });
});
