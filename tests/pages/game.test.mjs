// Pet games in a real browser: a game made from the cat photo through the
// API is embedded in an iframe by a page on another origin; level 1 is
// played by replaying the stored solution as key presses, and the host page
// receives `ready` and `level-complete` by postMessage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { base, screenshot, withPage } from './browser.mjs';

const token = process.env.EDGEPIX_TOKEN_A;
const photos = process.env.EDGEPIX_PHOTOS;
const skip = !token || !photos ? 'EDGEPIX_TOKEN_A and EDGEPIX_PHOTOS are needed' : false;
const auth = { authorization: `Bearer ${token}` };
const KEYS = { L: 'ArrowLeft', R: 'ArrowRight', J: 'ArrowUp', W: 'ArrowDown' };

/** A ready game made from `photo` through the API. */
async function makeGame(photo, fields) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, String(v));
  form.set('photo', new Blob([await readFile(`${photos}/${photo}`)], { type: 'image/png' }), photo);
  let resp = await fetch(`${base}/api/v1/games`, { method: 'POST', headers: auth, body: form });
  assert.equal(resp.status, 202, await resp.clone().text());
  const game = await resp.json();
  const deadline = Date.now() + 120_000;
  for (;;) {
    resp = await fetch(`${base}${game.urls.job}`, { headers: auth });
    const job = await resp.json();
    if (job.status === 'done') break;
    assert.notEqual(job.status, 'failed', job.error);
    assert.ok(Date.now() < deadline, `the game was not ready in 120 s: ${JSON.stringify(job)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return game;
}

/** Serves one HTML page on a port of its own: another origin than the Worker's. */
async function hostPage(html) {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html);
  });
  await new Promise((r) => server.listen(0, 'localhost', r));
  return { server, url: `http://localhost:${server.address().port}/` };
}

test('a game embedded on another origin is played through level 1 by its stored solution', { skip, timeout: 240_000 }, async () => {
  const game = await makeGame('chelsea.png', { name: 'Chelsea', theme: 'garden', difficulty: 'easy', level_count: 2 });
  const levels = await (await fetch(`${base}/api/v1/games/${game.code}/levels`)).json();
  const solution = levels[0].solution;
  assert.match(solution, /^[LRJW]+$/);
  const { html: snippet } = await (await fetch(`${base}/api/v1/games/${game.code}/embed`)).json();
  // The host listens before the iframe is parsed, as the docs ask.
  const host = await hostPage(`<!doctype html><title>A pet blog</title>
<script>window.events = []; addEventListener('message', (e) => { if (e.data && e.data.source === 'edgepix-game') window.events.push({ origin: e.origin, ...e.data }); });</script>
<h1>My cat's game</h1>${snippet.replace('<iframe ', '<iframe id="game" ')}`);
  try {
    await withPage(async (page, errors) => {
      // What the game's frame fetched and logged, for a failure message.
      const trail = [];
      page.on('response', (r) => { if (r.url().startsWith(base)) trail.push(`${r.status()} ${r.url().slice(base.length)}`); });
      page.on('requestfailed', (r) => trail.push(`failed ${r.url()}: ${r.failure()?.errorText}`));
      page.on('console', (m) => trail.push(`console.${m.type()}: ${m.text()}`));
      const gameFrame = () => page.frames().find((f) => f.url().startsWith(`${base}/g/${game.code}`));
      const events = () => page.evaluate(() => window.events);
      const waitEvent = async (type, pred = () => true) => {
        const deadline = Date.now() + 30_000;
        for (;;) {
          const found = (await events()).find((e) => e.type === type && pred(e));
          if (found) return found;
          if (Date.now() >= deadline) {
            const f = gameFrame();
            const state = f ? await Promise.race([f.evaluate(() => JSON.stringify(document.getElementById('game')?.dataset)), page.waitForTimeout(2000).then(() => 'no answer')]).catch(String) : 'no game frame';
            assert.fail(`no ${type} event; got ${JSON.stringify(await events())}; frames ${JSON.stringify(page.frames().map((x) => x.url()))}; game root ${state}; trail:\n${trail.join('\n')}`);
          }
          await page.waitForTimeout(100);
        }
      };
      await page.goto(host.url);
      const ready = await waitEvent('ready');
      assert.equal(ready.origin, base, 'events come from the game origin');
      assert.equal(ready.code, game.code);
      const frame = gameFrame();
      assert.ok(frame, 'the iframe holds the game page');
      const root = await frame.waitForSelector('[data-screen="start"]');
      await screenshot(page, 'game-start');

      // A host that listens late asks where the game is.
      await page.evaluate(() => document.getElementById('game').contentWindow.postMessage({ source: 'edgepix-host', type: 'status' }, '*'));
      const status = await waitEvent('status');
      assert.deepEqual([status.ready, status.screen, status.level, status.levels, status.moves, status.code], [true, 'start', 1, 2, 0, game.code]);

      // Start from the keyboard inside the frame, then replay the solution,
      // one move at a time as the runtime takes them.
      await frame.locator('canvas').first().focus().catch(() => {});
      await frame.locator('canvas').first().click();
      if ((await root.getAttribute('data-screen')) === 'start') await page.keyboard.press('Enter');
      await frame.waitForSelector('[data-screen="playing"]');
      const moves = async () => Number(await root.getAttribute('data-moves'));
      for (const [i, m] of [...solution].entries()) {
        await page.keyboard.press(KEYS[m]);
        const deadline = Date.now() + 5_000;
        while ((await moves()) < i + 1 && (await root.getAttribute('data-screen')) === 'playing') {
          assert.ok(Date.now() < deadline, `move ${i + 1} (${m}) was not taken`);
          await page.waitForTimeout(20);
        }
        if (i === Math.floor(solution.length / 2)) await screenshot(page, 'game-level');
      }
      const done = await waitEvent('level-complete', (e) => e.level === 1);
      assert.equal(done.moves, solution.length);
      assert.equal(done.levels, 2);
      assert.ok(!(await events()).some((e) => e.type === 'game-over'), 'level 1 is not lost');
      assert.deepEqual(errors, []);
    });
  } finally {
    host.server.close();
  }
});

test('the game page scales pixel-perfectly and works by touch buttons', { skip, timeout: 240_000 }, async () => {
  const game = await makeGame('chelsea.png', { name: 'Chelsea', theme: 'beach', difficulty: 'easy', level_count: 1 });
  await withPage(async (page, errors) => {
    await page.goto(`${base}/g/${game.code}`);
    const root = await page.waitForSelector('[data-screen="start"]');
    const canvas = page.locator('canvas').first();
    const fit = () => canvas.evaluate((c) => ({ w: c.width, h: c.height, cw: c.getBoundingClientRect().width, ch: c.getBoundingClientRect().height, smooth: getComputedStyle(c).imageRendering }));
    let f = await fit();
    assert.equal(f.smooth, 'pixelated');
    assert.equal(f.cw % f.w, 0, `CSS width ${f.cw} is a whole multiple of ${f.w}`);
    assert.equal(f.cw / f.w, f.ch / f.h);
    await page.setViewportSize({ width: 1900, height: 1250 });
    await page.waitForTimeout(200);
    f = await fit();
    assert.ok(f.cw / f.w >= 2 && Number.isInteger(f.cw / f.w), JSON.stringify(f));
    // Touch: tap to start, then the on-screen right button moves the pet.
    await canvas.click();
    if ((await root.getAttribute('data-screen')) === 'start') await page.keyboard.press('Enter');
    await page.waitForSelector('[data-screen="playing"]');
    const right = page.locator('button[data-cmd="right"]');
    await right.dispatchEvent('pointerdown');
    await right.dispatchEvent('pointerup');
    await page.waitForFunction(() => Number(document.querySelector('[data-moves]').getAttribute('data-moves')) >= 1);
    assert.deepEqual(errors, []);
  });

  // The runtime cannot be fetched: the page says so and tells the host.
  await withPage(async (page, errors) => {
    await page.addInitScript(() => {
      window.events = [];
      addEventListener('message', (e) => { if (e.data && e.data.source === 'edgepix-game') window.events.push(e.data); });
    });
    await page.route('**/game/edgepix_game.js', (r) => r.abort('connectionfailed'));
    await page.goto(`${base}/g/${game.code}`);
    await page.waitForSelector('#game-error:not([hidden])', { timeout: 20_000 });
    assert.equal(await page.getAttribute('#game', 'data-screen'), 'error');
    const failed = await (await page.waitForFunction(() => window.events.find((e) => e.type === 'error'))).jsonValue();
    assert.equal(failed.code, game.code);
    assert.ok(failed.message, JSON.stringify(failed));
    assert.ok(errors.some((e) => e.startsWith('edgepix game:')), JSON.stringify(errors));
  });
});
