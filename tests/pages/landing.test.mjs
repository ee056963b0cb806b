// The landing page, in a real browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base, screenshot, withPage } from './browser.mjs';

test('landing page reads as a product page and shows every part up', async () => {
  await withPage(async (page, errors) => {
    const resp = await page.goto(`${base}/`);
    assert.equal(resp.status(), 200);
    assert.equal(await page.title(), 'edgepix: images at the edge');
    const cards = await page.$$eval('.card h2', (hs) => hs.map((h) => h.textContent));
    assert.deepEqual(cards, ['Protected viewing', 'Safe-blur', 'Pet pixel games', "Performers' live map", 'Community feed']);

    await page.waitForFunction(() => !document.getElementById('status-table').hidden, null, { timeout: 20000 });
    assert.match(await page.textContent('#status-summary'), /All parts answer\. Worker \d+\.\d+\.\d+/);
    const rows = await page.$$eval('#status-table tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
    assert.equal(rows.length, 6, JSON.stringify(rows));
    assert.equal(rows[0][0], 'Function pool');
    for (const [part, state] of rows) assert.equal(state, 'up', `${part} is ${state}`);

    await screenshot(page, 'landing');
    assert.deepEqual(errors, []);
  });
});

test('the OpenAPI link on the landing page leads to the API description', async () => {
  await withPage(async (page) => {
    await page.goto(`${base}/`);
    const [resp] = await Promise.all([page.waitForNavigation(), page.click('a[href="/api/v1/openapi.json"]')]);
    assert.equal(resp.status(), 200);
    const doc = JSON.parse(await page.evaluate(() => document.body.innerText));
    assert.match(doc.openapi, /^3\.1/);
  });
});
