// The browser module's protected-view frame (`composeView`, the shared
// crate's `protect::view::compose` compiled to wasm) against the
// plain-JavaScript port that `cargo xtask bench client` times it against
// (xtask/bench/protect.js): the same bytes on every size and option,
// edge cases included (1x1, 5x3, thin strips, odd sizes, partial tiles),
// so that the benchmark compares one algorithm and the module docs'
// "exactly" holds. Runs the module in Node (same V8 as Chromium).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';

const pkg = new URL('../../build/site/pkg/', import.meta.url);
const wasm = await import(new URL('edgepix_client.js', pkg));
wasm.initSync({ module: await readFile(new URL('edgepix_client_bg.wasm', pkg)) });
const port = await import(new URL('../../xtask/bench/protect.js', import.meta.url));

const hex = (bytes) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');

/** A scrambled image for `grid`: flat white, noise and dark noise in bands, from a fixed LCG. */
function scrambledFor(grid, salt) {
  const len = grid.cols * grid.tile * grid.rows * grid.tile * 4;
  const px = new Uint8ClampedArray(len);
  let s = salt >>> 0;
  for (let i = 0; i < len; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const r = s >>> 24;
    const band = (i >> 12) % 3;
    px[i] = band === 0 ? 255 : band === 1 ? r : r & 0x0f;
  }
  return px;
}

const cases = [
  [1920, 1080, { noiseLevel: 0.3, segmentCount: 64, rotation: true, overlayComplexity: 4, watermark: true }],
  [1080, 1920, { noiseLevel: 0.1, segmentCount: 16, rotation: false, overlayComplexity: 2, watermark: false }],
  [97, 61, { noiseLevel: 0.25, segmentCount: 16, rotation: true, overlayComplexity: 3, watermark: true }],
  [300, 7, { noiseLevel: 0.2, segmentCount: 32, rotation: true, overlayComplexity: 4, watermark: true }],
  [7, 300, { noiseLevel: 0.2, segmentCount: 32, rotation: false, overlayComplexity: 1, watermark: true }],
  [5, 3, { noiseLevel: 0.3, segmentCount: 16, rotation: true, overlayComplexity: 4, watermark: true }],
  [1, 1, { noiseLevel: 0.3, segmentCount: 16, rotation: true, overlayComplexity: 4, watermark: true }],
  [64, 64, { noiseLevel: 0.2, segmentCount: 16, rotation: true, overlayComplexity: 0, watermark: false }],
];

for (const [w, h, protection] of cases) {
  test(`composeView equals the JavaScript port at ${w}x${h} ${JSON.stringify(protection)}`, async () => {
    const grid = port.grid(w, h, protection.segmentCount);
    const scrambled = scrambledFor(grid, 12345 + 7 * w + h);
    const seed = new Uint8Array(32).map((_, i) => (i * 7 + w) & 0xff);
    const payload = 'fedcba9876543210';
    const ours = wasm.composeView(scrambled, grid, protection, hex(seed), payload).slice();
    const theirs = port.compose(scrambled, grid, protection, await port.prepare(seed), BigInt(`0x${payload}`));
    assert.equal(ours.length, w * h * 4);
    assert.equal(theirs.length, ours.length);
    let differing = 0;
    for (let i = 0; i < ours.length; i++) if (ours[i] !== theirs[i]) differing++;
    assert.equal(differing, 0, `${differing} bytes differ`);
  });
}
