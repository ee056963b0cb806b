// The account pages, in a real browser: sign up, sign in, the account page
// with its HttpOnly refresh cookie, API keys (shown once, revoked) and
// sessions (sign out everywhere), and the API's errors shown in the page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base, screenshot, withPage } from './browser.mjs';

const byte = () => Math.floor(Math.random() * 256);
const rand = () => Math.random().toString(36).slice(2);
/** A client IP of its own per test, so the per-IP rate limits do not add up across tests. */
const clientIp = () => `10.${byte()}.${byte()}.${byte()}`;
const uniqueEmail = () => `page-${Date.now()}-${rand()}@example.com`;
const strongPassword = () => `Correct-Horse-${rand()}`;

/** Chromium logs an error response to fetch as a console error; these are the expected ones. */
const failedLoad = (...statuses) => new RegExp(`^Failed to load resource: the server responded with a status of (${statuses.join('|')}) `);
const unexpected = (errors, ...statuses) => errors.filter((e) => !failedLoad(...statuses).test(e));

/** A JSON call from Node (not the browser), as a server would make it. */
function call(ip, method, path, { body, token } = {}) {
  const headers = { 'cf-connecting-ip': ip };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  return fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

/** A fresh page whose every request comes from `ip`. */
async function useIp(page, ip) {
  await page.context().setExtraHTTPHeaders({ 'cf-connecting-ip': ip });
}

/** Form controls without an accessible name. */
const unnamedControls = (page) => page.$$eval('input, select, button', (els) => els
  .filter((el) => el.type !== 'hidden')
  .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby') && !(el.tagName === 'BUTTON' && el.textContent.trim()))
  .map((el) => el.id || el.outerHTML.slice(0, 60)));

const path = (page) => new URL(page.url()).pathname;

async function waitForAccount(page, email) {
  await page.waitForURL(`${base}/account`, { timeout: 30000 });
  await page.waitForFunction((e) => document.getElementById('me-email').textContent === e, email, { timeout: 20000 });
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 20000 });
}

/** Signs up through the /signup form and waits for /account. */
async function signUpInPage(page, email, password) {
  await page.goto(`${base}/signup`);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await page.click('#submit');
  await waitForAccount(page, email);
}

test('accounts: sign up on /signup lands on /account, the refresh token only in an HttpOnly cookie', { timeout: 60000 }, async () => {
  await withPage(async (page, errors) => {
    await useIp(page, clientIp());
    const email = uniqueEmail(), password = strongPassword();

    const resp = await page.goto(`${base}/signup`);
    assert.equal(resp.status(), 200);
    assert.match(resp.headers()['content-type'], /^text\/html/);
    assert.equal(await page.title(), 'edgepix: sign up');
    assert.deepEqual(await unnamedControls(page), []);
    assert.equal(await page.inputValue('#role'), 'creator');
    assert.ok(await page.isVisible('a[href="/signin"]'));

    await page.fill('#email', email);
    await page.fill('#password', password);
    await page.click('#submit');
    await waitForAccount(page, email);
    assert.equal(await page.title(), 'edgepix: your account');
    assert.equal(await page.textContent('#me-role'), 'creator');
    assert.equal(await page.textContent('#me-plan'), 'free');
    assert.match(await page.textContent('#me-storage'), /^0 B of 500 MiB$/);
    assert.match(await page.textContent('#me-jobs'), /of 200$/);
    assert.deepEqual(await unnamedControls(page), []);
    for (const href of ['/', '/playground', '/account']) assert.ok(await page.isVisible(`nav a[href="${href}"]`), href);

    // The refresh token is an HttpOnly, SameSite=Lax cookie scoped to the auth routes.
    const cookie = (await page.context().cookies()).find((c) => c.name === 'edgepix_refresh');
    assert.ok(cookie, 'the edgepix_refresh cookie is set');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Lax');
    assert.equal(cookie.secure, true);
    assert.equal(cookie.path, '/api/v1/auth');
    assert.match(cookie.value, /^ert_/);
    assert.ok(!(await page.evaluate(() => document.cookie)).includes('edgepix_refresh'));
    // And no token (a JWT starts eyJ) is stored where page scripts can read it.
    const stored = await page.evaluate(() => [localStorage, sessionStorage]
      .flatMap((s) => Object.keys(s).flatMap((k) => [k, s.getItem(k)])));
    assert.deepEqual(stored.filter((v) => v.includes('eyJ') || v.includes('ert_')), []);

    // A reload signs in again from the cookie, which rotates.
    await page.reload();
    await waitForAccount(page, email);
    const rotated = (await page.context().cookies()).find((c) => c.name === 'edgepix_refresh');
    assert.ok(rotated && rotated.value !== cookie.value, 'the refresh cookie rotated');

    await screenshot(page, 'account');
    assert.deepEqual(errors, []);
  });
});

test('accounts: an API key created on /account works at once, is shown once, and stops working when revoked', { timeout: 60000 }, async () => {
  await withPage(async (page, errors) => {
    const ip = clientIp();
    await useIp(page, ip);
    await signUpInPage(page, uniqueEmail(), strongPassword());
    assert.ok(await page.isHidden('#new-key-box'));

    const name = `page test ${rand()}`;
    await page.fill('#key-name', name);
    await page.check('input[name="scope"][value="assets:read"]');
    await page.click('#key-create');
    await page.waitForFunction(() => /^epk_/.test(document.getElementById('new-key').textContent), null, { timeout: 15000 });
    assert.ok(await page.isVisible('#new-key'));
    const key = (await page.textContent('#new-key')).trim();
    assert.match(key, /^epk_[A-Za-z0-9_-]{43}$/);
    assert.match(await page.textContent('#new-key-box'), /not shown again/);

    // Listed with its prefix and scopes, never used yet.
    const row = page.locator('#keys tr[data-key-id]', { hasText: name });
    await row.waitFor({ timeout: 15000 });
    const id = await row.getAttribute('data-key-id');
    assert.ok(id);
    const prefix = (await row.locator('.prefix').textContent()).replace(/…$/, '');
    assert.ok(prefix.length >= 4 && key.startsWith(prefix), `${key} starts with the listed prefix ${prefix}`);
    const text = await row.textContent();
    assert.ok(text.includes('assets:read'), text);
    assert.ok(!text.includes('assets:write'), text);
    assert.ok(text.includes('never'), text);
    assert.match(text, /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/);
    // The secret itself is nowhere in the list.
    assert.ok(!(await page.textContent('#keys')).includes(key));

    // The key works from a server.
    let r = await call(ip, 'GET', '/api/v1/assets', { token: key });
    assert.equal(r.status, 200, await r.clone().text());
    await r.arrayBuffer();

    // Revoked in the page: the row goes, and the key stops working at once.
    await row.locator('button.revoke').click();
    await page.locator(`#keys tr[data-key-id="${id}"]`).waitFor({ state: 'detached', timeout: 15000 });
    assert.ok(await page.isHidden('#error'));
    r = await call(ip, 'GET', '/api/v1/assets', { token: key });
    assert.equal(r.status, 401);
    assert.equal((await r.json()).error.code, 'unauthorized');

    // The secret is not shown again after a reload.
    await page.reload();
    await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 20000 });
    assert.ok(await page.isHidden('#new-key-box'));
    assert.equal(await page.textContent('#new-key'), '');

    assert.deepEqual(errors, []);
  });
});

test('accounts: sign in on /signin (a wrong password first), see the sessions, sign out everywhere', { timeout: 60000 }, async () => {
  await withPage(async (page, errors) => {
    const ip = clientIp();
    await useIp(page, ip);
    const email = uniqueEmail(), password = strongPassword();
    let r = await call(ip, 'POST', '/api/v1/auth/signup', { body: { email, password } });
    assert.equal(r.status, 202, await r.clone().text());
    // A second session, from a server, in token mode.
    r = await call(ip, 'POST', '/api/v1/auth/login', { body: { email, password, session: 'token' } });
    assert.equal(r.status, 200, await r.clone().text());
    const tokens = await r.json();
    assert.match(tokens.refresh_token, /^ert_/);

    const resp = await page.goto(`${base}/signin`);
    assert.equal(resp.status(), 200);
    assert.equal(await page.title(), 'edgepix: sign in');
    assert.deepEqual(await unnamedControls(page), []);
    assert.ok(await page.isVisible('a[href="/signup"]'));

    // A wrong password: the API's 401 and its message, in the page.
    await page.fill('#email', email);
    await page.fill('#password', `${password}-wrong`);
    const [wrong] = await Promise.all([
      page.waitForResponse((res) => res.url() === `${base}/api/v1/auth/login`, { timeout: 30000 }),
      page.click('#submit'),
    ]);
    assert.equal(wrong.status(), 401);
    const { error } = await wrong.json();
    assert.equal(error.code, 'invalid_credentials');
    await page.waitForSelector('#error:not([hidden])', { timeout: 10000 });
    const shown = await page.textContent('#error');
    assert.match(shown, /401 invalid_credentials/);
    assert.ok(shown.includes(error.message), `${shown} should include ${error.message}`);
    assert.equal(path(page), '/signin');
    await screenshot(page, 'signin');

    // The right one.
    await page.fill('#password', password);
    await page.click('#submit');
    await waitForAccount(page, email);
    assert.ok(await page.isHidden('#error'));

    // Two sessions, this one marked.
    await page.waitForFunction(() => document.querySelectorAll('#sessions tr[data-session-id]').length === 2, null, { timeout: 15000 });
    assert.equal(await page.locator('#sessions tr.current').count(), 1);
    assert.match(await page.textContent('#sessions tr.current'), /this browser/);

    // Sign out everywhere: back to /signin, and the server's session is gone too.
    await page.click('#sign-out-everywhere');
    await page.waitForURL(`${base}/signin`, { timeout: 15000 });
    r = await call(ip, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: tokens.refresh_token } });
    assert.equal(r.status, 401);
    r = await call(ip, 'GET', '/api/v1/me', { token: tokens.access_token });
    assert.equal(r.status, 401);
    await r.arrayBuffer();
    // And the browser's: /account sends it back to /signin (maybe before its load event).
    await page.goto(`${base}/account`, { waitUntil: 'commit' });
    await page.waitForURL(`${base}/signin`, { timeout: 15000 });

    assert.deepEqual(unexpected(errors, 401), []);
  });
});

test('accounts: a weak password on /signup shows the API\'s weak_password and stays there', { timeout: 60000 }, async () => {
  await withPage(async (page, errors) => {
    await useIp(page, clientIp());
    const email = uniqueEmail();
    await page.goto(`${base}/signup`);

    const attempt = async (password) => {
      await page.fill('#email', email);
      await page.fill('#password', password);
      const [res] = await Promise.all([
        page.waitForResponse((res) => res.url() === `${base}/api/v1/auth/signup`, { timeout: 30000 }),
        page.click('#submit'),
      ]);
      assert.equal(res.status(), 400);
      const { error } = await res.json();
      assert.equal(error.code, 'weak_password');
      await page.waitForFunction((m) => document.getElementById('error').textContent.includes(m), error.message, { timeout: 10000 });
      assert.match(await page.textContent('#error'), /400 weak_password/);
      assert.ok(await page.isVisible('#error'));
      assert.equal(path(page), '/signup');
      assert.equal(await page.isEnabled('#submit'), true);
    };
    // A well-known password, then the email's own local part.
    await attempt('password123');
    await attempt(email.split('@')[0]);

    assert.equal((await page.context().cookies()).find((c) => c.name === 'edgepix_refresh'), undefined);
    assert.deepEqual(unexpected(errors, 400), []);
  });
});
