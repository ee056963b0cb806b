// A plain-JavaScript port of `edgepix_core::protect::view::compose` (and of
// what it calls: grid, prng, scramble::descramble, noise::apply,
// overlay::draw, watermark::embed), the baseline the protect benchmark
// times against the wasm module in the same page. No dependencies; runs in
// browsers and in Node 20. Its output is bit-identical to the Rust
// function: every step is integer arithmetic (32-bit via Math.imul and
// `>>> 0` where Rust wraps, plain doubles where values stay far below
// 2^53), and the only float step, the noise level, is rounded through
// f32 (Math.fround) exactly as Rust does.

/** Tile edges are multiples of this many pixels (grid::TILE_ALIGN). */
const TILE_ALIGN = 16;
/** Cells per side of the watermark grid (watermark::GRID). */
const WM_GRID = 32;
/** watermark::DEFAULT_STRENGTH, in 1/16 luma levels. */
const WM_STRENGTH = 32;
/** overlay::STRENGTH. */
const OVERLAY_STRENGTH = 3;

/**
 * The grid for a `width` x `height` view with `segmentCount` tiles along
 * its longer side, exactly as `Grid::new`.
 */
export function grid(width, height, segmentCount) {
  const longer = Math.max(width, height);
  const seg = Math.max(segmentCount, 1);
  const multiples = Math.floor((2 * longer + seg * TILE_ALIGN) / (2 * seg * TILE_ALIGN));
  const tile = Math.max(multiples * TILE_ALIGN, TILE_ALIGN);
  return { width, height, tile, cols: Math.ceil(width / tile), rows: Math.ceil(height / tile) };
}

// ---------------------------------------------------------------- prng --

const textEncoder = new TextEncoder();

/** The first 16 bytes of SHA-256(domain, 0x00, key) (prng::derive_seed). */
async function deriveSeed(domain, key) {
  const d = textEncoder.encode(domain);
  const msg = new Uint8Array(d.length + 1 + key.length);
  msg.set(d, 0);
  msg.set(key, d.length + 1);
  const digest = await crypto.subtle.digest('SHA-256', msg);
  return new Uint8Array(digest.slice(0, 16));
}

/** xoshiro128** (prng::Prng); the state lives in an Int32Array. */
class Prng {
  constructor(seed16) {
    const s = new Int32Array(4);
    for (let i = 0; i < 4; i++) {
      s[i] = seed16[4 * i] | (seed16[4 * i + 1] << 8) | (seed16[4 * i + 2] << 16) | (seed16[4 * i + 3] << 24);
    }
    if ((s[0] | s[1] | s[2] | s[3]) === 0) s.set([0x9e3779b9 | 0, 0x7f4a7c15, 0xf39cc060 | 0, 0x5cedc834]);
    this.s = s;
  }

  /** The next 32 random bits, as an unsigned number. */
  nextU32() {
    const s = this.s;
    const x = Math.imul(s[1], 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 11) | (s[3] >>> 21);
    return result;
  }

  /** A uniform integer in 0..n (Lemire's multiply-and-reject, as Rust). */
  below(n) {
    n = Math.max(n >>> 0, 1);
    const threshold = (4294967296 - n) % n; // n.wrapping_neg() % n
    for (;;) {
      const u = this.nextU32();
      let lo, hi;
      if (n <= 0x1fffff) {
        const m = u * n; // < 2^53: exact
        lo = m >>> 0;
        hi = Math.floor(m / 4294967296);
      } else {
        // 64-bit product from 16-bit halves of u.
        const a = (u & 0xffff) * n, b = (u >>> 16) * n; // each < 2^48
        const mid = (b % 65536) * 65536 + a; // < 2^49
        lo = mid >>> 0;
        hi = Math.floor(b / 65536) + Math.floor(mid / 4294967296);
      }
      if (lo >= threshold) return hi;
    }
  }

  /** Fisher-Yates from the last item down (Prng::shuffle). */
  shuffle(items) {
    for (let i = items.length - 1; i >= 1; i--) {
      const j = this.below(i + 1);
      const tmp = items[i]; items[i] = items[j]; items[j] = tmp;
    }
  }
}

/**
 * Everything `compose` needs that comes from SHA-256: the 16-byte seeds of
 * the scramble and noise generators (from the ticket's `seed`) and of the
 * watermark layout generator.
 */
export async function prepare(seed) {
  const key = seed instanceof Uint8Array ? seed : new Uint8Array(seed);
  const [scramble, noise, watermark] = await Promise.all([
    deriveSeed('edgepix/scramble', key),
    deriveSeed('edgepix/noise', key),
    deriveSeed('edgepix/watermark', textEncoder.encode('layout')),
  ]);
  return { scramble, noise, watermark };
}

// ------------------------------------------------------------ scramble --

/** scramble::Layout::new: sources and rotations per destination tile. */
function layout(g, seed16, rotation) {
  const n = g.cols * g.rows;
  const prng = new Prng(seed16);
  const sources = new Uint32Array(n);
  for (let i = 0; i < n; i++) sources[i] = i;
  prng.shuffle(sources);
  const rotations = new Uint8Array(n);
  if (rotation) for (let i = 0; i < n; i++) rotations[i] = prng.below(4);
  return { sources, rotations };
}

/** scramble::descramble, on 32-bit pixel views (`src32` padded, `out32` the view). */
function descramble(src32, g, lay, out32) {
  const { width: w, height: h, tile: t, cols } = g;
  const n = g.cols * g.rows;
  const pw = cols * t;
  const { sources, rotations } = lay;
  for (let i = 0; i < n; i++) {
    const s = sources[i];
    const dx0 = (i % cols) * t, dy0 = Math.floor(i / cols) * t;
    const ox = (s % cols) * t, oy = Math.floor(s / cols) * t;
    const visW = Math.min(t, Math.max(w - ox, 0));
    const visH = Math.min(t, Math.max(h - oy, 0));
    if (visW === 0 || visH === 0) continue;
    const base = dy0 * pw + dx0;
    const rot = rotations[i] & 3;
    if (rot === 0) {
      for (let sy = 0; sy < visH; sy++) {
        const from = base + sy * pw;
        out32.set(src32.subarray(from, from + visW), (oy + sy) * w + ox);
      }
    } else if (rot === 2) {
      for (let sy = 0; sy < visH; sy++) {
        let from = base + (t - 1 - sy) * pw + t - 1;
        const to = (oy + sy) * w + ox;
        for (let dx = 0; dx < visW; dx++) out32[to + dx] = src32[from - dx];
      }
    } else if (rot === 1) {
      for (let sy = 0; sy < visH; sy++) {
        let from = base + (t - 1 - sy);
        const to = (oy + sy) * w + ox;
        for (let dx = 0; dx < visW; dx++, from += pw) out32[to + dx] = src32[from];
      }
    } else {
      for (let sy = 0; sy < visH; sy++) {
        let from = base + (t - 1) * pw + sy;
        const to = (oy + sy) * w + ox;
        for (let dx = 0; dx < visW; dx++, from -= pw) out32[to + dx] = src32[from];
      }
    }
  }
}

// --------------------------------------------------------------- noise --

/** Adds (`sign` 1) or removes (-1) luma row `off..off+w` to the column sums. */
function addLumaRow(luma, off, w, c1, c2, sign) {
  for (let x = 0; x < w; x++) {
    const y1 = luma[off + x];
    c1[x] += sign * y1;
    c2[x] += sign * y1 * y1;
  }
}

/** noise::apply, in place on `px` (RGBA bytes) with `pc` a clamped view of it. */
function noise(px, pc, w, h, level, seed16) {
  if (w === 0 || h === 0) return;
  // Step 1: L = clamp(round(level * 1000), 100, 300) in f32; NaN -> 100.
  const lv = Math.round(Math.fround(Math.fround(level) * 1000));
  const l = Number.isNaN(lv) ? 100 : Math.min(Math.max(lv, 100), 300);
  const k = 984 + (l - 100) * 2;
  // Step 2: the amplitude table.
  const table = new Int32Array(16257);
  for (let i = 0; i <= 16256; i++) {
    const q = Math.floor((3 * k * (4 * i + 117)) / 256) - 128;
    table[i] = q > 0 ? Math.floor(Math.sqrt(q)) : 0;
  }
  const aBlack = Math.floor((table[0] * 12) / 16);
  // Step 3: luma of the input (before any noise).
  const npx = w * h;
  const luma = new Uint8Array(npx);
  for (let p = 0, q = 0; p < npx; p++, q += 4) {
    luma[p] = (77 * px[q] + 150 * px[q + 1] + 29 * px[q + 2]) >> 8;
  }
  // Column sums of Y and Y^2 over rows y-2..=y+2, slid down the image.
  const R = 2;
  const c1 = new Int32Array(w), c2 = new Int32Array(w);
  for (let y = 0; y <= Math.min(R, h - 1); y++) addLumaRow(luma, y * w, w, c1, c2, 1);
  // Step 4. The key: the first two little-endian words of the seed.
  const key = new DataView(seed16.buffer, seed16.byteOffset, 16);
  const k0 = key.getUint32(0, true) | 0, k1 = key.getUint32(4, true) | 0;
  // Each 2x2 block's variance and amplitude, from the window at its
  // top-left pixel: computed on even rows (at even columns), kept for the
  // odd row below.
  const blockVar = new Int32Array((w + 1) >> 1), blockAmp = new Int32Array((w + 1) >> 1);
  const pairs = (w + 1) >> 1;
  let u = 0;
  for (let y = 0; y < h; y++) {
    const off = y * w;
    if ((y & 1) === 0) {
      const rows = Math.min(y + R, h - 1) + 1 - Math.max(y - R, 0);
      let sum1 = 0, sum2 = 0;
      for (let x = 0; x <= Math.min(R, w - 1); x++) { sum1 += c1[x]; sum2 += c2[x]; }
      for (let x = 0; x < w; x++) {
        if ((x & 1) === 0) {
          const cols = Math.min(x + R, w - 1) + 1 - Math.max(x - R, 0);
          const n = rows * cols;
          const vv = n * sum2 - sum1 * sum1;
          const variance = n === 25 ? (vv / 625) | 0 : Math.floor(vv / (n * n));
          const v = variance < 16256 ? variance : 16256;
          blockVar[x >> 1] = v;
          blockAmp[x >> 1] = table[v];
        }
        if (x + R + 1 < w) { sum1 += c1[x + R + 1]; sum2 += c2[x + R + 1]; }
        if (x >= R) { sum1 -= c1[x - R]; sum2 -= c2[x - R]; }
      }
    }
    for (let x = 0; x < w; x++) {
      const variance = blockVar[x >> 1];
      let a = blockAmp[x >> 1];
      const cap = aBlack + 16 * luma[off + x];
      if (cap < a) a = cap;
      const q = (off + x) << 2;
      if (variance < 64 && px[q] === 255 && px[q + 1] === 255 && px[q + 2] === 255) a = (a * 7) >> 2;
      if ((x & 1) === 0) {
        // One draw per pair of pixels: u = mix(mix(j * 0x9e3779b9 + K0) ^ K1),
        // j = y * ceil(w / 2) + x / 2, mix = lowbias32.
        u = (Math.imul(y * pairs + (x >> 1), 0x9e3779b9) + k0) | 0;
        u ^= u >>> 16; u = Math.imul(u, 0x7feb352d); u ^= u >>> 15; u = Math.imul(u, 0x846ca68b); u ^= u >>> 16;
        u ^= k1;
        u ^= u >>> 16; u = Math.imul(u, 0x7feb352d); u ^= u >>> 15; u = Math.imul(u, 0x846ca68b); u ^= u >>> 16;
        u >>>= 0;
      }
      const b = (x & 1) === 0 ? u & 0xffff : u >>> 16;
      const tri = (b & 0xff) + (b >>> 8) - 255;
      const d = (tri * a + 2048) >> 12;
      if (d !== 0) {
        pc[q] = px[q] + d;
        pc[q + 1] = px[q + 1] + d;
        pc[q + 2] = px[q + 2] + d;
      }
    }
    if (y >= R) addLumaRow(luma, (y - R) * w, w, c1, c2, -1);
    if (y + R + 1 < h) addLumaRow(luma, (y + R + 1) * w, w, c1, c2, 1);
  }
}

// ------------------------------------------------------------- overlay --

// overlay::FAMILIES: [ux, uy, vx, vy, period_eighths, phase_eighths].
const FAMILIES = [
  [1, 1, 1, -1, 8, 0],
  [1, -1, 1, 1, 9, 3],
  [2, 1, 1, -2, 12, 5],
  [1, -2, 2, 1, 13, 1],
];

const remEuclid = (a, m) => { const r = a % m; return r < 0 ? r + m : r; };

/**
 * overlay::draw, in place. Per family, `coverage` is
 * `cov(rem(u + wave(rem(v, len)) + phase, period))` with `u` and `v` linear
 * in x, so a row walks `u mod period` and `v mod len` by small steps, and
 * the wave (plus phase, mod period) and the coverage come from tables:
 * the same integers as the Rust function, without its divisions.
 */
function overlay(px, pc, w, h, complexity) {
  const nf = Math.min(complexity, 4);
  if (nf <= 0 || w === 0 || h === 0) return;
  const base = Math.max(Math.floor(Math.max(w, h) / 32), 24);
  const cov = new Uint8Array(w); // max coverage over the families, per row
  const fams = FAMILIES.slice(0, nf).map(([ux, uy, vx, vy, pe, ph]) => {
    const period = Math.max(Math.floor((base * pe) / 8), 4);
    const len = 2 * Math.max(Math.floor((3 * period) / 2), 2);
    const half = len / 2, hh = half * half;
    const amp = Math.floor(period / 5);
    const phase = Math.floor((base * ph) / 8);
    // waveMod[p] = rem(wave(p) + phase, period), p in 0..len.
    const waveMod = new Int32Array(len);
    for (let p = 0; p < len; p++) {
      const wv = p < half
        ? Math.floor((4 * amp * p * (half - p)) / hh)
        : -Math.floor((4 * amp * (p - half) * (len - p)) / hh);
      waveMod[p] = remEuclid(wv + phase, period);
    }
    // covTab[r] = max(2 - min(r, period - r), 0), r in 0..period.
    const covTab = new Uint8Array(period);
    for (let r = 0; r < period; r++) covTab[r] = Math.max(2 - Math.min(r, period - r), 0);
    return { ux, uy, vx, vy, period, len, waveMod, covTab, ush: 2 * h * Math.abs(uy), vsh: 2 * h * Math.abs(vy) };
  });
  for (let y = 0; y < h; y++) {
    cov.fill(0);
    for (let f = 0; f < nf; f++) {
      const { ux, vx, period, len, waveMod, covTab } = fams[f];
      let um = remEuclid(fams[f].uy * y + fams[f].ush, period);
      let vm = remEuclid(fams[f].vy * y + fams[f].vsh, len);
      for (let x = 0; x < w; x++) {
        let r = um + waveMod[vm];
        if (r >= period) r -= period;
        const c = covTab[r];
        if (c > cov[x]) cov[x] = c;
        um += ux; if (um >= period) um -= period;
        vm += vx; if (vm >= len) vm -= len;
      }
    }
    const rowOff = y * w * 4;
    for (let x = 0; x < w; x++) {
      const c = cov[x];
      if (c === 0) continue;
      const q = rowOff + x * 4;
      const luma = (77 * px[q] + 150 * px[q + 1] + 29 * px[q + 2]) >> 8;
      const full = luma < 128 ? Math.min(Math.max(luma >> 3, 1), OVERLAY_STRENGTH) : -OVERLAY_STRENGTH;
      const delta = ((full * c) / 2) | 0; // truncates towards zero, as Rust
      if (delta !== 0) {
        pc[q] = px[q] + delta;
        pc[q + 1] = px[q + 1] + delta;
        pc[q + 2] = px[q + 2] + delta;
      }
    }
  }
}

// ----------------------------------------------------------- watermark --

/** Step 3 of the watermark docs: (lo, hi, w) per pixel of an axis of length n. */
function axisTable(n) {
  const lo = new Int32Array(n), hi = new Int32Array(n), wt = new Int32Array(n);
  const den = 2 * n;
  for (let x = 0; x < n; x++) {
    const num = (2 * x + 1) * WM_GRID + n;
    const hv = Math.floor(num / den);
    wt[x] = Math.floor(((num % den) * 256) / den);
    lo[x] = Math.min(Math.max(hv - 1, 0), WM_GRID - 1);
    hi[x] = Math.min(hv, WM_GRID - 1);
  }
  return { lo, hi, wt };
}

/** watermark::embed at DEFAULT_STRENGTH, in place. */
function watermark(px, pc, w, h, payloadLo, payloadHi, seed16) {
  if (w === 0 || h === 0) return;
  const cells = WM_GRID * WM_GRID;
  const perm = new Uint32Array(cells);
  for (let i = 0; i < cells; i++) perm[i] = i;
  new Prng(seed16).shuffle(perm);
  // Cell perm[k] carries bit k % 64 with chip +1 when (k / 64) is even.
  const v = new Int32Array(cells);
  for (let k = 0; k < cells; k++) {
    const bit = k % 64;
    const set = (bit < 32 ? payloadLo >>> bit : payloadHi >>> (bit - 32)) & 1;
    const chip = Math.floor(k / 64) % 2 === 0 ? 1 : -1;
    v[perm[k]] = chip * (set ? 1 : -1) * WM_STRENGTH;
  }
  const { lo: loX, hi: hiX, wt: wtX } = axisTable(w);
  const { lo: loYs, hi: hiYs, wt: wtY } = axisTable(h);
  const r = new Int32Array(WM_GRID);
  for (let y = 0; y < h; y++) {
    const loY = loYs[y] * WM_GRID, hiY = hiYs[y] * WM_GRID, wY = wtY[y];
    for (let c = 0; c < WM_GRID; c++) r[c] = (256 - wY) * v[loY + c] + wY * v[hiY + c];
    const rowOff = y * w * 4;
    for (let x = 0; x < w; x++) {
      const wX = wtX[x];
      const s = (256 - wX) * r[loX[x]] + wX * r[hiX[x]];
      const d = (s + 524288) >> 20;
      if (d !== 0) {
        const q = rowOff + x * 4;
        pc[q] = px[q] + d;
        pc[q + 1] = px[q + 1] + d;
        pc[q + 2] = px[q + 2] + d;
      }
    }
  }
}

// ------------------------------------------------------------- compose --

/**
 * What a viewer's canvas shows (view::compose): `scrambled` (RGBA of the
 * padded size `cols*tile` x `rows*tile`) put back in order, then noise at
 * `protection.noiseLevel`, the overlay of `protection.overlayComplexity`
 * and, when `protection.watermark`, the watermark carrying `payload` (a
 * BigInt, 64 bits). `prepared` comes from `prepare(seed)`. Returns the
 * `width` x `height` RGBA as a Uint8Array.
 */
export function compose(scrambled, g, protection, prepared, payload) {
  const { width: w, height: h, tile: t, cols, rows } = g;
  const padded = cols * t * rows * t * 4;
  if (scrambled.length !== padded) {
    throw new Error(`scrambled buffer: expected ${padded} bytes for ${cols * t}x${rows * t}, got ${scrambled.length}`);
  }
  const outBuf = new ArrayBuffer(w * h * 4);
  const out = new Uint8Array(outBuf);
  const outClamped = new Uint8ClampedArray(outBuf);
  // 32-bit pixel views (copying is byte-order agnostic); an unaligned
  // input is copied once.
  let src = scrambled;
  if (src.byteOffset % 4 !== 0) src = new Uint8Array(src);
  const src32 = new Uint32Array(src.buffer, src.byteOffset, src.byteLength >>> 2);
  const out32 = new Uint32Array(outBuf);

  const lay = layout(g, prepared.scramble, !!protection.rotation);
  descramble(src32, g, lay, out32);
  noise(out, outClamped, w, h, protection.noiseLevel, prepared.noise);
  overlay(out, outClamped, w, h, protection.overlayComplexity | 0);
  if (protection.watermark) {
    const p = BigInt.asUintN(64, BigInt(payload));
    watermark(out, outClamped, w, h, Number(p & 0xffffffffn), Number(p >> 32n), prepared.watermark);
  }
  return out;
}
