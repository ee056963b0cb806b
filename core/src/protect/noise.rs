//! Per-viewer noise: every viewer's copy differs from the original (and
//! from every other viewer's) by content-adaptive noise sized so that the
//! copy's SSIM against the original ([`super::ssim`]) stays about the same
//! on any picture: a touch of noise in flat sky, more in texture, where the
//! eye does not see it.
//!
//! For a window of luma variance `var`, adding independent zero-mean noise
//! of variance `n2` gives an SSIM of about `(2 var + C2) / (2 var + n2 +
//! C2)` (`C2 = (0.03 * 255)^2`), so noise of variance
//! `n2 = k (2 var + C2)` gives an SSIM of `1 / (1 + k)` wherever it is
//! applied. The level picks `k`.
//!
//! # The algorithm, exactly
//!
//! Integer arithmetic only, so a JavaScript port gives the same bytes. Every
//! intermediate value stays under 2^31; `/` is integer division rounding
//! down (operands are non-negative; JS: `Math.floor(a / b)`), `>>` on a
//! negative number is an arithmetic shift (rounds towards minus infinity,
//! as JS `>>` does), `isqrt(v)` is `floor(sqrt(v))` (JS:
//! `Math.floor(Math.sqrt(v))`, exact at these sizes).
//!
//! 1. `L = clamp(round(level * 1000), 100, 300)` (halves round up; a level
//!    that is not a number gives 100), then `K = 984 + 2 * (L - 100)`
//!    (`k = K / 65536`: 0.015 at level 0.1, 0.021 at 0.3; the noise is
//!    set to leave room for what else the canvas goes through, see
//!    "Measured").
//! 2. A table for every window variance `v` in `0..=16256`:
//!    `TABLE[v] = isqrt(max(0, (3 * K * (4 * v + 117)) / 256 - 128))`
//!    (the noise step below has variance `A*A / 1536 + 1/12`, and
//!    `1536 * k * (2 v + C2) = 3 * K * (4 v + 117) / 256` with C2 = 58.5).
//!    `A_BLACK = (TABLE[0] * 12) / 16`.
//! 3. Luma of a pixel: `Y = (77 R + 150 G + 29 B) >> 8`, always from the
//!    *input* pixels (before any noise).
//! 4. The random bits are a keyed hash of the index of a pair of pixels,
//!    so that no draw waits for another (SIMD lanes compute four at once; a
//!    sequential generator cannot be split). The key is `K0, K1`, the first
//!    two little-endian words of [`derive_seed`]`("edgepix/noise", seed)`
//!    (SHA-256, see [`super::prng`]). With `mix(v)` = `v ^= v >> 16;
//!    v *= 0x7feb352d; v ^= v >> 15; v *= 0x846ca68b; v ^= v >> 16` (32-bit
//!    words, wrapping multiplies, logical shifts; JS: `Math.imul` and
//!    `>>>`), the pixels `(x, y)` and `(x + 1, y)` (`x` even) of a
//!    `width`-wide image share the draw
//!    `u = mix(mix(j * 0x9e3779b9 + K0) ^ K1)`,
//!    `j = y * ceil(width / 2) + x / 2`: the even pixel takes its low 16
//!    bits, the odd one its high 16 (`b = u & 0xffff` or `u >>> 16`).
//!    For each 2x2 block of pixels, with `(x0, y0)` its top-left pixel
//!    (both even; blocks at the right and bottom edges of an odd-sized
//!    image are cut to one column or row):
//!    - over the 5x5 window `x0-2..=x0+2`, `y0-2..=y0+2` clipped to the
//!      image, `n` = pixels in it, `S1 = sum Y`, `S2 = sum Y*Y` (input
//!      lumas);
//!    - `var = min((n * S2 - S1 * S1) / (n * n), 16256)` and
//!      `A0 = TABLE[var]`: the block's variance and amplitude (one window
//!      for four pixels: the amplitude is a smooth property of the
//!      picture, and this is a quarter of the work, the browser's largest
//!      per-frame cost).
//!
//!    Then for each pixel `(x, y)`, with its block's `var` and `A = A0`:
//!    - dark pixels: `A = min(A, A_BLACK + 16 * Y)` with `Y` the pixel's own
//!      luma (near black, clamping at 0 turns noise into a mean shift, to
//!      which SSIM is most sensitive);
//!    - pure white pixels in flat windows (`R = G = B = 255` and
//!      `var < 64`): `A = (A * 7) / 4` (clamping at 255 keeps only a third
//!      of the noise's variance; this gives it back);
//!    - with the pixel's 16 bits `b`,
//!      `t = (b & 0xff) + (b >> 8) - 255` (triangular, -255..=255) and
//!      `d = (t * A + 2048) >> 12` (`|t * A| < 2^19`);
//!    - R, G and B each become `clamp(c + d, 0, 255)`; alpha is untouched.
//!
//! Adding the same `d` to R, G and B moves luma by `d` (the luma weights sum
//! to one), so the noise is grey: no colour speckle.
//!
//! # Measured
//!
//! The seed product holds what the viewer sees to SSIM 0.95-0.98 against
//! the original. The canvas also carries the scrambled JPEG's loss (q97,
//! 0.993-0.999 on the test photos), the overlay and the watermark (together
//! 0.004-0.015), so the noise alone is set to about 0.985 (level 0.1) down
//! to 0.978 (level 0.3); the whole canvas then stays in the band on every
//! test photo (`cargo run --release -p edgepix-core --example protect_ssim
//! -- PHOTOS_DIR`). Noise alone lands within about 0.005 of the same value
//! on flat grey, black and white, gradients, checkerboards and textures.
//! A 5x5 window is used because its variance tracks SSIM's 11x11 Gaussian
//! window (sigma 1.5) closely: larger windows overestimate the variance of
//! ramps and add too much noise there. Taking each block's window at its
//! top-left pixel instead of each pixel's own moved these figures by less
//! than 0.001, and one draw per pair of pixels (two 8-bit uniforms a
//! pixel instead of two 16-bit ones: the same step variance) by less than
//! 0.0003 (measured with the same example).

use super::prng::derive_seed;
use crate::pixel::PixelError;


/// The fixed-point level, 100..=300.
fn level_milli(level: f32) -> u32 {
    let v = (level * 1000.0).round();
    // NaN and negatives become 0 (`as` saturates), then clamp.
    (v as u32).clamp(100, 300)
}

/// `k * 65536` for a fixed-point level.
fn k_fixed(l: u32) -> u32 {
    984 + (l - 100) * 2
}

/// Adds per-viewer noise of strength `level` (0.1-0.3; out-of-range levels
/// are clamped) to a `width` x `height` RGBA buffer in place, keyed by
/// `seed`. See the module docs for the exact algorithm.
pub fn apply(rgba: &mut [u8], width: u32, height: u32, level: f32, seed: &[u8]) -> Result<(), PixelError> {
    apply_k(rgba, width, height, k_fixed(level_milli(level)), seed)
}

/// The window radius: statistics over (2R+1) x (2R+1).
const RADIUS: usize = 2;
/// The window's side.
const SPAN: usize = 2 * RADIUS + 1;
/// Pixels in a whole window.
const WINDOW: u32 = (SPAN * SPAN) as u32;
/// `A_BLACK = TABLE[0] * BLACK_NUM / 16`.
const BLACK_NUM: u32 = 12;
/// The largest window variance the table covers.
const MAX_VAR: u32 = 16256;

/// The amplitude `A` for each window variance 0..=16256: the definition
/// of step 2, which [`amplitude`] computes without a table.
#[cfg(test)]
fn amplitude_table(k: u32) -> Vec<u32> {
    (0..=MAX_VAR).map(|var| ((3 * k * (4 * var + 117)) / 256).saturating_sub(128).isqrt()).collect()
}

/// `TABLE[var]` of step 2 for `var <= MAX_VAR`, computed directly so that
/// a row's amplitudes are a few SIMD operations instead of a lookup per
/// pixel. The square root is taken in `f32`: the radicand is below 2^21
/// (`3 * 1384 * 65141 / 256`), so it converts exactly, and the correctly
/// rounded root of a non-square `m` in `a^2..(a+1)^2` stays below `a + 1`
/// (its distance from `a + 1` is at least `1 / (2a + 2)`, more than half
/// an `f32` ulp for `a` < 2^11), so truncating gives `isqrt` exactly
/// (checked for every `K` and `var` by a test). The conversions go
/// through `i32` (the values are far below 2^31, so nothing changes):
/// wasm engines turn the signed SIMD conversions into one x86 instruction
/// each and emulate the unsigned ones with several.
#[inline]
fn amplitude(k: u32, var: u32) -> u32 {
    let m = ((3 * k * (4 * var + 117)) >> 8).saturating_sub(128);
    (m as i32 as f32).sqrt() as i32 as u32
}

/// `min(n / WINDOW², MAX_VAR)` (integer division) for `n` < 2^31, without
/// an integer division (which wasm SIMD lacks): an `f32` estimate is
/// within one of the quotient (relative error under 2^-22 on a quotient
/// under 2^12) and one exact remainder test corrects it.
/// Used on wasm (SIMD lanes there have no division); elsewhere the plain
/// division is as fast.
#[inline]
fn window_variance(n: u32) -> u32 {
    if cfg!(target_arch = "wasm32") { window_variance_estimated(n) } else { (n / (WINDOW * WINDOW)).min(MAX_VAR) }
}

/// [`window_variance`] through an `f32` estimate (signed conversions, as
/// in [`amplitude`]: `n` < 2^31).
#[inline]
fn window_variance_estimated(n: u32) -> u32 {
    const D: u32 = WINDOW * WINDOW;
    let q = (n as i32 as f32 * (1.0 / D as f32)) as i32 as u32;
    let r = n.wrapping_sub(q.wrapping_mul(D)) as i32;
    let q = q.wrapping_sub(u32::from(r < 0)).wrapping_add(u32::from(r >= D as i32));
    q.min(MAX_VAR)
}

/// The key of step 4 for a ticket's `seed`.
fn key(seed: &[u8]) -> [u32; 2] {
    let d = derive_seed("edgepix/noise", seed);
    [u32::from_le_bytes([d[0], d[1], d[2], d[3]]), u32::from_le_bytes([d[4], d[5], d[6], d[7]])]
}

/// Step 4's `mix` (Wellons' `lowbias32`).
#[inline]
fn mix(mut v: u32) -> u32 {
    v ^= v >> 16;
    v = v.wrapping_mul(0x7feb_352d);
    v ^= v >> 15;
    v = v.wrapping_mul(0x846c_a68b);
    v ^ (v >> 16)
}

/// The random bits `u` of the pixel pairs with indices `first..` (step
/// 4), one per element of `out`, four lanes at a time.
fn bits(key: [u32; 2], first: u32, out: &mut [u32]) {
    for (i, u) in out.iter_mut().enumerate() {
        let i = first.wrapping_add(i as u32);
        *u = mix(mix(i.wrapping_mul(0x9e37_79b9).wrapping_add(key[0])) ^ key[1]);
    }
}

/// Pixel `p` (RGBA bytes as a little-endian `u32`) with `d` added to R, G
/// and B, each clamped to 0..=255; alpha is untouched. On a whole row of
/// words this compiles to plain SIMD lane operations.
#[inline]
pub(super) fn shift_px(p: u32, d: i32) -> u32 {
    let ch = |s: u32| ((((p >> s) & 0xff) as i32 + d).clamp(0, 255) as u32) << s;
    (p & 0xff00_0000) | ch(0) | ch(8) | ch(16)
}

/// The luma of a pixel word (step 3 of the module docs).
#[inline]
pub(super) fn luma_px(p: u32) -> u32 {
    (77 * (p & 0xff) + 150 * ((p >> 8) & 0xff) + 29 * ((p >> 16) & 0xff)) >> 8
}

/// [`shift_px`] by `n`, then by `m`: two clamped adds in one, since
/// `clamp(clamp(c + n, 0, 255) + m, 0, 255)` is `c + n + m` clamped to
/// `clamp(m, 0, 255)..=clamp(255 + m, 0, 255)`.
#[inline]
pub(super) fn shift2_px(p: u32, n: i32, m: i32) -> u32 {
    let (d, lo, hi) = (n + m, m.clamp(0, 255), (255 + m).clamp(0, 255));
    let ch = |s: u32| ((((p >> s) & 0xff) as i32 + d).max(lo).min(hi) as u32) << s;
    (p & 0xff00_0000) | ch(0) | ch(8) | ch(16)
}

/// [`shift2_px`] on every pixel word of a row: `words[x]` by `n[x]`, then
/// by `m[x]`.
///
/// On wasm with SIMD, four pixels a step as two saturating byte adds and
/// two saturating byte subtracts (a clamped add of `d` to R, G and B is
/// adding `max(d, 0)` and subtracting `max(-d, 0)` with saturation, each
/// spread to the three colour bytes; alpha gets 0) instead of unpacking
/// the channels: the same bytes for any `|d| < 2^31` (checked against
/// [`shift2_px`] by a test that runs on wasm too).
pub(super) fn shift2_row(words: &mut [u32], n: &[i32], m: &[i32]) {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    let (words, n, m) = {
        use core::arch::wasm32::{i32x4_max, i32x4_min, i32x4_mul, i32x4_neg, i32x4_splat, u8x16_add_sat, u8x16_sub_sat, v128};
        let (zero, full, rgb) = (i32x4_splat(0), i32x4_splat(255), i32x4_splat(0x0001_0101));
        // `d` as the bytes to add and the bytes to take away (each at most
        // 255: a larger `|d|` clamps the same).
        let part = |d: v128| i32x4_mul(i32x4_min(i32x4_max(d, zero), full), rgb);
        let split = |d: v128| (part(d), part(i32x4_neg(d)));
        let lanes = |s: &[i32]| -> v128 { bytemuck::cast([s[0], s[1], s[2], s[3]]) };
        let whole = words.len().min(n.len()).min(m.len()) / 4 * 4;
        for ((p, n), m) in words[..whole].chunks_exact_mut(4).zip(n.chunks_exact(4)).zip(m.chunks_exact(4)) {
            let ((n_add, n_sub), (m_add, m_sub)) = (split(lanes(n)), split(lanes(m)));
            let v: v128 = bytemuck::cast([p[0], p[1], p[2], p[3]]);
            let v = u8x16_sub_sat(u8x16_add_sat(u8x16_sub_sat(u8x16_add_sat(v, n_add), n_sub), m_add), m_sub);
            p.copy_from_slice(&bytemuck::cast::<v128, [u32; 4]>(v));
        }
        (&mut words[whole..], &n[whole.min(n.len())..], &m[whole.min(m.len())..])
    };
    for ((p, &n), &m) in words.iter_mut().zip(n).zip(m) {
        *p = shift2_px(*p, n, m);
    }
}

/// Copies an RGBA row into pixel words (little-endian `u32`s).
pub(super) fn load_row(row: &[u8], words: &mut [u32]) {
    for (w, c) in words.iter_mut().zip(row.chunks_exact(4)) {
        *w = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
    }
}

/// An RGBA row as pixel words in place, where that needs no copy: on
/// little-endian targets (wasm, x86, ARM) with the row 4-byte aligned
/// (rows of a buffer from the allocator are). `None` elsewhere: callers
/// then go through [`load_row`] and [`store_row`], the same words.
pub(super) fn as_words_mut(row: &mut [u8]) -> Option<&mut [u32]> {
    if cfg!(target_endian = "little") { bytemuck::try_cast_slice_mut(row).ok() } else { None }
}

/// [`as_words_mut`] for reading.
pub(super) fn as_words(row: &[u8]) -> Option<&[u32]> {
    if cfg!(target_endian = "little") { bytemuck::try_cast_slice(row).ok() } else { None }
}

/// An RGBA row's pixel words for reading: in place where [`as_words`]
/// can, otherwise copied into `scratch` (one word per pixel).
fn words_of<'a>(row: &'a [u8], scratch: &'a mut [u32]) -> &'a [u32] {
    match as_words(row) {
        Some(words) => words,
        None => {
            load_row(row, scratch);
            scratch
        }
    }
}

/// Copies pixel words back into an RGBA row.
pub(super) fn store_row(words: &[u32], row: &mut [u8]) {
    for (c, w) in row.chunks_exact_mut(4).zip(words) {
        c.copy_from_slice(&w.to_le_bytes());
    }
}

/// Adds `deltas[x]` to the R, G and B bytes of pixel `x` of the RGBA `row`,
/// clamping to 0..=255; alpha is untouched. `words` is scratch space of
/// one word per pixel.
///
/// The last step of [`apply`] and [`super::watermark::embed`] on their
/// own; [`super::view::compose`] fuses the stages per row instead.
pub(super) fn shift_rgb(row: &mut [u8], deltas: &[i32], words: &mut [u32]) {
    load_row(row, words);
    for (w, &d) in words.iter_mut().zip(deltas) {
        *w = shift_px(*w, d);
    }
    store_row(words, row);
}

/// `out[x]` = the sum of `col` over `x - RADIUS..=x + RADIUS`, clipped to
/// the row. The inner part adds shifted copies of the row (SIMD-friendly).
fn window_sums(col: &[u32], out: &mut [u32]) {
    let w = col.len();
    let edge = |x: usize| col[x.saturating_sub(RADIUS)..=(x + RADIUS).min(w - 1)].iter().sum();
    if w < SPAN {
        for (x, o) in out.iter_mut().enumerate() {
            *o = edge(x);
        }
        return;
    }
    for x in (0..RADIUS).chain(w - RADIUS..w) {
        out[x] = edge(x);
    }
    let n = w - 2 * RADIUS;
    let inner = &mut out[RADIUS..RADIUS + n];
    inner.copy_from_slice(&col[..n]);
    for k in 1..SPAN {
        for (o, &c) in inner.iter_mut().zip(&col[k..k + n]) {
            *o += c;
        }
    }
}

/// `var[x] = min((n * s2 - s1 * s1) / (n * n), MAX_VAR)` for window sums
/// `s1`, `s2` over `n = rows * cols[x]` pixels (step 4).
fn variances(s1: &[u32], s2: &[u32], rows: u32, cols: &[u32], var: &mut [u32]) {
    let general = |x: usize| {
        let n = rows * cols[x];
        ((n * s2[x] - s1[x] * s1[x]) / (n * n)).min(MAX_VAR)
    };
    let w = var.len();
    if rows as usize != SPAN || w < SPAN {
        for (x, v) in var.iter_mut().enumerate() {
            *v = general(x);
        }
        return;
    }
    for x in (0..RADIUS).chain(w - RADIUS..w) {
        var[x] = general(x);
    }
    // Whole windows (most pixels), in a loop of their own that vectorises.
    let inner = RADIUS..w - RADIUS;
    for ((v, &s1), &s2) in var[inner.clone()].iter_mut().zip(&s1[inner.clone()]).zip(&s2[inner]) {
        *v = window_variance(WINDOW * s2 - s1 * s1);
    }
}

/// The window variances of the blocks of a row whose windows have all
/// `SPAN` rows (`w >= SPAN`): `var[j]` is column `2j`'s ([`window_sums`]
/// and [`variances`] at the even columns; `var` is `ceil(w / 2)` long), in
/// one pass that vectorises.
fn block_window_variances(c1: &[u32], c2: &[u32], cols: &[u32], var: &mut [u32]) {
    let w = c1.len();
    let edge = |x: usize| {
        let span = x.saturating_sub(RADIUS)..=(x + RADIUS).min(w - 1);
        let (s1, s2): (u32, u32) = (c1[span.clone()].iter().sum(), c2[span].iter().sum());
        let n = SPAN as u32 * cols[x];
        ((n * s2 - s1 * s1) / (n * n)).min(MAX_VAR)
    };
    const _: () = assert!(SPAN == 5 && RADIUS == 2, "the inner loop adds five columns, from 2j - 2");
    // Even columns 2j whose window is whole: 1 <= j and 2j + 2 < w.
    let inner = 1..(w - 1) / 2;
    for j in (0..var.len()).filter(|j| !inner.contains(j)) {
        var[j] = edge(2 * j);
    }
    // Pairs of columns from column 0: the window of column 2j is pairs
    // j - 1 and j and column 2j + 2.
    let pair = |c: &[u32], j: usize| c[2 * j] + c[2 * j + 1];
    for (i, v) in var[inner].iter_mut().enumerate() {
        let j = i + 1;
        let s1 = pair(c1, j - 1) + pair(c1, j) + c1[2 * j + 2];
        let s2 = pair(c2, j - 1) + pair(c2, j) + c2[2 * j + 2];
        *v = window_variance(WINDOW * s2 - s1 * s1);
    }
}

/// The last part of step 4 for one row: each pixel's `d` from its luma
/// `l` (input pixels), the row's pair draws, its block's amplitude `amp`
/// and white amplitude `white` (both per block, under 2^11: `TABLE`'s
/// largest entry is 1027), with `A_BLACK` = `a_black`.
///
/// On wasm with SIMD, eight pixels a step in 16-bit lanes: the pair sums
/// `(b & 0xff) + (b >> 8)` of four draws are one pairwise add, and
/// `(t * A + 2048) >> 12` is the rounding Q15 multiply of `8 t` by `A`
/// (`(8 t A + 2^14) >> 15`, the same integer; neither factor nor the
/// result leaves 16 bits). Off wasm, and for the last pixels of a row,
/// the plain integer form, the same bytes.
fn pixel_deltas(lumas: &[u8], draws: &[u32], amp: &[u32], white: &[u32], a_black: u32, out: &mut [i32]) {
    let w = out.len().min(lumas.len()).min(amp.len() * 2).min(white.len() * 2).min(draws.len() * 2);
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    let done = {
        use core::arch::wasm32::{i8x16_shuffle, i16x8_q15mulr_sat, i16x8_shl, i16x8_splat, i16x8_sub, i32x4_extend_high_i16x8, i32x4_extend_low_i16x8, u16x8_add, u16x8_eq, u16x8_extadd_pairwise_u8x16, u16x8_extend_low_u8x16, u16x8_min, u16x8_shl, u16x8_splat, u64x2, v128, v128_bitselect};
        let whole = w / 8 * 8;
        let (black, full, bias) = (u16x8_splat(a_black as u16), u16x8_splat(255), i16x8_splat(8 * 255));
        // Four blocks' 32-bit values as the 16-bit values of their eight
        // pixels (each value is under 2^16).
        let per_pixel = |b: &[u32]| -> v128 {
            let b: v128 = bytemuck::cast([b[0], b[1], b[2], b[3]]);
            i8x16_shuffle::<0, 1, 0, 1, 4, 5, 4, 5, 8, 9, 8, 9, 12, 13, 12, 13>(b, b)
        };
        let steps = out[..whole].chunks_exact_mut(8).zip(lumas.chunks_exact(8)).zip(draws.chunks_exact(4)).zip(amp.chunks_exact(4).zip(white.chunks_exact(4)));
        for (((d, l), u), (a, wh)) in steps {
            let l = u16x8_extend_low_u8x16(u64x2(u64::from_le_bytes([l[0], l[1], l[2], l[3], l[4], l[5], l[6], l[7]]), 0));
            // Luma 255 is exactly R = G = B = 255; the dark cap never
            // binds there (A_BLACK + 16 * 255 > A0).
            let a = v128_bitselect(per_pixel(wh), u16x8_min(per_pixel(a), u16x8_add(black, u16x8_shl(l, 4))), u16x8_eq(l, full));
            let u: v128 = bytemuck::cast([u[0], u[1], u[2], u[3]]);
            let t8 = i16x8_sub(i16x8_shl(u16x8_extadd_pairwise_u8x16(u), 3), bias);
            let d16 = i16x8_q15mulr_sat(t8, a);
            d[..4].copy_from_slice(&bytemuck::cast::<v128, [i32; 4]>(i32x4_extend_low_i16x8(d16)));
            d[4..].copy_from_slice(&bytemuck::cast::<v128, [i32; 4]>(i32x4_extend_high_i16x8(d16)));
        }
        whole
    };
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    let done = 0;
    for x in done..w {
        let (l, a, wh) = (u32::from(lumas[x]), amp[x / 2], white[x / 2]);
        let a = if l == 255 { wh } else { a.min(a_black + 16 * l) };
        let b = draws[x / 2] >> (16 * (x % 2));
        let t = (b & 0xff) as i32 + ((b >> 8) & 0xff) as i32 - 255;
        // |d| < 128 (`|t * a| < 2^19`).
        out[x] = (t * a as i32 + 2048) >> 12;
    }
}

/// The noise of step 4, row by row: [`Noise::deltas`] gives row `y`'s `d`
/// for every pixel, then the caller changes the row and calls
/// [`Noise::advance`], which reads the next input row into the window.
///
/// The luma of the rows in the window is kept in a ring of `SPAN` rows,
/// with per-column sums of `Y` and `Y^2` over them, so each output row
/// costs a few adds per pixel. Even rows compute their blocks' variances
/// and amplitudes, which the odd row below reuses. A row is done in
/// passes that vectorise (block variances, amplitudes, the random bits,
/// the deltas).
pub(super) struct Noise {
    w: usize,
    h: usize,
    k: u32,
    a_black: u32,
    ring: Vec<u8>,
    c1: Vec<u32>,
    c2: Vec<u32>,
    cols: Vec<u32>,
    s1: Vec<u32>,
    s2: Vec<u32>,
    /// Per-column window variances, for rows whose windows are cut by
    /// the top or bottom edge.
    var: Vec<u32>,
    /// The window variance (`var`) and amplitude (`A0`) of each block of
    /// the current pair of rows, in block order.
    block_var: Vec<u32>,
    block_amp: Vec<u32>,
    /// What a pure white pixel gets in each block: `A0`, boosted in flat
    /// windows.
    block_white: Vec<u32>,
    /// The draws of the row's pixel pairs.
    draws: Vec<u32>,
    /// `TABLE` (step 2), looked up off wasm, where a lookup is cheaper
    /// than [`amplitude`]'s `f32` conversions; empty on wasm.
    table: Vec<u32>,
    key: [u32; 2],
}

impl Noise {
    /// The noise of `level` from `seed` for the `width` x `height` RGBA
    /// buffer `rgba` (whose length the caller has checked; both sides
    /// non-zero), with the window of row 0 read.
    pub(super) fn new(rgba: &[u8], width: u32, height: u32, level: f32, seed: &[u8]) -> Noise {
        Noise::with_k(rgba, width, height, k_fixed(level_milli(level)), seed)
    }

    fn with_k(rgba: &[u8], width: u32, height: u32, k: u32, seed: &[u8]) -> Noise {
        let (w, h) = (width as usize, height as usize);
        // Columns in each pixel's window (SPAN away from the sides).
        let cols = (0..w).map(|x| ((x + RADIUS).min(w - 1) + 1 - x.saturating_sub(RADIUS)) as u32).collect();
        let mut noise = Noise {
            w,
            h,
            k,
            a_black: amplitude(k, 0) * BLACK_NUM / 16,
            ring: vec![0; SPAN * w],
            c1: vec![0; w],
            c2: vec![0; w],
            cols,
            s1: vec![0; w],
            s2: vec![0; w],
            var: vec![0; w],
            block_var: vec![0; w.div_ceil(2)],
            block_amp: vec![0; w.div_ceil(2)],
            block_white: vec![0; w.div_ceil(2)],
            draws: vec![0; w.div_ceil(2)],
            table: if cfg!(target_arch = "wasm32") { Vec::new() } else { (0..=MAX_VAR).map(|var| amplitude(k, var)).collect() },
            key: key(seed),
        };
        for y in 0..=RADIUS.min(h.saturating_sub(1)) {
            noise.add_row(rgba, y);
        }
        noise
    }

    /// Reads input row `y` of `rgba` into the ring and the column sums.
    fn add_row(&mut self, rgba: &[u8], y: usize) {
        let (w, slot) = (self.w, y % SPAN);
        let Some(row) = rgba.get(y * w * 4..(y + 1) * w * 4) else { return };
        let lumas = &mut self.ring[slot * w..(slot + 1) * w];
        let words = words_of(row, &mut self.s1);
        for (l, &p) in lumas.iter_mut().zip(words) {
            *l = luma_px(p) as u8;
        }
        for ((&l, s1), s2) in lumas.iter().zip(self.c1.iter_mut()).zip(self.c2.iter_mut()) {
            let l = u32::from(l);
            *s1 += l;
            *s2 += l * l;
        }
    }

    /// Row `y`'s noise `d` for each pixel into `out` (`width` long). Rows
    /// must come in order, each followed by [`Noise::advance`].
    pub(super) fn deltas(&mut self, y: usize, out: &mut [i32]) {
        if y.is_multiple_of(2) {
            self.block_amplitudes(y);
        }
        // In a loop of its own: with everything else in one loop, wasm
        // engines run out of SIMD registers (measured: 1 ms a frame slower).
        // Pair indices are taken modulo 2^32 (step 4's 32-bit words).
        bits(self.key, (y * self.draws.len()) as u32, &mut self.draws);
        let w = self.w;
        let lumas = &self.ring[(y % SPAN) * w..(y % SPAN + 1) * w];
        pixel_deltas(lumas, &self.draws, &self.block_amp, &self.block_white, self.a_black, out);
    }

    /// For even row `y`: the window variance and amplitude of every 2 x 2
    /// block whose top row is `y` (step 4) into `block_var` and
    /// `block_amp`, which row `y + 1` reuses.
    fn block_amplitudes(&mut self, y: usize) {
        let (w, h) = (self.w, self.h);
        let rows = ((y + RADIUS).min(h - 1) + 1 - y.saturating_sub(RADIUS)) as u32;
        if rows as usize == SPAN && w >= SPAN {
            block_window_variances(&self.c1, &self.c2, &self.cols, &mut self.block_var);
        } else {
            window_sums(&self.c1, &mut self.s1);
            window_sums(&self.c2, &mut self.s2);
            variances(&self.s1, &self.s2, rows, &self.cols, &mut self.var);
            // Each block's variance is its even column's.
            for (b, &v) in self.block_var.iter_mut().zip(self.var.iter().step_by(2)) {
                *b = v;
            }
        }
        // One loop per step, so that each vectorises.
        let (k, table) = (self.k, &self.table);
        for (a, &v) in self.block_amp.iter_mut().zip(&self.block_var) {
            *a = if cfg!(target_arch = "wasm32") { amplitude(k, v) } else { table.get(v as usize).copied().unwrap_or(0) };
        }
        for ((wh, &a), &var) in self.block_white.iter_mut().zip(&self.block_amp).zip(&self.block_var) {
            *wh = if var < 64 { a * 7 / 4 } else { a };
        }
    }

    /// After row `y` has been changed: drops row `y - RADIUS` from the
    /// window and reads input row `y + RADIUS + 1` of `rgba` into it.
    pub(super) fn advance(&mut self, rgba: &[u8], y: usize) {
        let (w, next) = (self.w, y + RADIUS + 1);
        let leaving = y >= RADIUS;
        let row = if next < self.h { rgba.get(next * w * 4..(next + 1) * w * 4) } else { None };
        match (leaving, row) {
            // Row y - RADIUS leaves and row `next` comes in: they share a
            // slot of the ring ((y - 2) % 5 == (y + 3) % 5), so one pass
            // swaps one for the other.
            (true, Some(row)) => {
                let slot = next % SPAN;
                let words = words_of(row, &mut self.s1);
                let lumas = &mut self.ring[slot * w..(slot + 1) * w];
                for (((l, &p), s1), s2) in lumas.iter_mut().zip(words).zip(self.c1.iter_mut()).zip(self.c2.iter_mut()) {
                    let (old, new) = (u32::from(*l), luma_px(p));
                    *l = new as u8;
                    *s1 = *s1 + new - old;
                    *s2 = *s2 + new * new - old * old;
                }
            }
            (true, None) => {
                let slot = (y - RADIUS) % SPAN;
                let lumas = &self.ring[slot * w..(slot + 1) * w];
                for ((&l, s1), s2) in lumas.iter().zip(self.c1.iter_mut()).zip(self.c2.iter_mut()) {
                    let l = u32::from(l);
                    *s1 -= l;
                    *s2 -= l * l;
                }
            }
            (false, Some(_)) => self.add_row(rgba, next),
            (false, None) => {}
        }
    }
}

/// [`apply`] with `K` given directly: steps 2-4 of the module docs.
fn apply_k(rgba: &mut [u8], width: u32, height: u32, k: u32, seed: &[u8]) -> Result<(), PixelError> {
    let expected = width as usize * height as usize * 4;
    if rgba.len() != expected {
        return Err(PixelError::BufferSize { width, height, expected, actual: rgba.len() });
    }
    let (w, h) = (width as usize, height as usize);
    if w == 0 || h == 0 {
        return Ok(());
    }
    let mut noise = Noise::with_k(rgba, width, height, k, seed);
    let mut deltas = vec![0i32; w];
    let mut words = vec![0u32; w];
    for y in 0..h {
        noise.deltas(y, &mut deltas);
        shift_rgb(&mut rgba[y * w * 4..(y + 1) * w * 4], &deltas, &mut words);
        noise.advance(rgba, y);
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::pixel::RgbaImage;
    use crate::protect::ssim::ssim;

    /// Synthetic test pictures: (name, image).
    pub(crate) fn pictures(w: u32, h: u32) -> Vec<(&'static str, RgbaImage)> {
        let mk = |f: &dyn Fn(u32, u32) -> [u8; 3]| {
            let mut data = Vec::with_capacity(w as usize * h as usize * 4);
            for y in 0..h {
                for x in 0..w {
                    let c = f(x, y);
                    data.extend([c[0], c[1], c[2], 255]);
                }
            }
            RgbaImage::from_vec(w, h, data).unwrap()
        };
        let blobs = |x: u32, y: u32| {
            let (u, v) = (f64::from(x) / f64::from(w), f64::from(y) / f64::from(h));
            let mut c = [60.0 + 120.0 * u, 80.0 + 60.0 * v, 120.0];
            for (bx, by, r, col) in [(0.25, 0.3, 0.12, [230.0, 80.0, 40.0]), (0.7, 0.35, 0.2, [20.0, 150.0, 230.0]), (0.45, 0.8, 0.18, [250.0, 240.0, 90.0]), (0.85, 0.85, 0.08, [10.0, 10.0, 10.0])] {
                let a = (-((u - bx) * (u - bx) + (v - by) * (v - by)) / (r * r)).exp();
                for k in 0..3 {
                    c[k] = c[k] * (1.0 - a) + col[k] * a;
                }
            }
            c.map(|v: f64| v.round() as u8)
        };
        vec![
            ("flat grey", mk(&|_, _| [128, 128, 128])),
            ("flat white", mk(&|_, _| [255, 255, 255])),
            ("flat black", mk(&|_, _| [0, 0, 0])),
            ("gradient", mk(&|x, y| [(x * 255 / w.max(1)) as u8, (y * 255 / h.max(1)) as u8, 128])),
            ("checker 8", mk(&|x, y| if (x / 8 + y / 8) % 2 == 0 { [30, 30, 30] } else { [225, 225, 225] })),
            ("checker 32", mk(&|x, y| if (x / 32 + y / 32) % 2 == 0 { [0, 0, 0] } else { [255, 255, 255] })),
            ("sinusoid", mk(&|x, y| {
                let v = 128.0 + 60.0 * (f64::from(x) * 0.2).sin() + 40.0 * (f64::from(y) * 0.13 + f64::from(x) * 0.05).cos();
                [v as u8, (v * 0.8) as u8, (255.0 - v) as u8]
            })),
            ("blobs", mk(&blobs)),
        ]
    }

    pub(crate) fn noisy(img: &RgbaImage, level: f32, seed: &[u8]) -> RgbaImage {
        let mut out = img.clone();
        apply(out.data_mut(), img.width(), img.height(), level, seed).unwrap();
        out
    }

    #[test]
    fn ssim_stays_in_band_on_synthetic_pictures() {
        for (name, img) in pictures(256, 192) {
            let mut last = 1.0;
            for level in [0.1, 0.2, 0.3] {
                let s = ssim(noisy(&img, level, b"viewer").data(), img.data(), 256, 192).unwrap();
                // Noise alone; the canvas (JPEG, overlay, watermark on top)
                // is held to 0.95-0.98 by protect::view's test and the e2e tests.
                assert!((0.97..=0.99).contains(&s), "{name} at {level}: {s}");
                assert!(s < last, "{name}: more noise at {level} should lower SSIM");
                last = s;
            }
        }
    }

    /// A row shift is two clamped adds per pixel, whatever the offsets
    /// (also past +-255) and the row's length (whole SIMD steps and a tail).
    #[test]
    fn shift2_row_is_two_clamped_adds() {
        for len in [0, 1, 3, 4, 5, 8, 37, 640] {
            let mut words: Vec<u32> = (0..len as u32).map(|i| mix(i ^ 0x5eed).rotate_left(i % 32)).collect();
            let n: Vec<i32> = (0..len as u32).map(|i| (mix(i) % 1201) as i32 - 600).collect();
            let m: Vec<i32> = (0..len as u32).map(|i| (mix(i + 7919) % 601) as i32 - 300).collect();
            let want: Vec<u32> = words.iter().zip(&n).zip(&m).map(|((&p, &n), &m)| shift_px(shift_px(p, n), m)).collect();
            shift2_row(&mut words, &n, &m);
            assert_eq!(words, want, "len {len}");
        }
    }

    #[test]
    fn deterministic_per_seed_and_alpha_untouched() {
        let img = &pictures(50, 30)[7].1;
        let a = noisy(img, 0.2, b"one");
        assert_eq!(a, noisy(img, 0.2, b"one"));
        assert_ne!(a, noisy(img, 0.2, b"two"));
        let mut transparent = img.clone();
        for (i, v) in transparent.data_mut().iter_mut().enumerate() {
            if i % 4 == 3 {
                *v = (i % 256) as u8;
            }
        }
        let n = noisy(&transparent, 0.3, b"x");
        assert!(n.data().iter().zip(transparent.data()).enumerate().all(|(i, (a, b))| i % 4 != 3 || a == b));
        // The same delta on R, G and B where nothing clamps.
        let grey = RgbaImage::filled(20, 20, [100, 110, 120, 255]);
        for p in noisy(&grey, 0.3, b"x").data().chunks_exact(4) {
            assert!(p[1] as i32 - p[0] as i32 == 10 && p[2] as i32 - p[1] as i32 == 10);
        }
    }

    /// Step 4 of the module docs as written, one pixel at a time.
    fn reference(img: &RgbaImage, level: f32, seed: &[u8]) -> RgbaImage {
        let (w, h) = (img.width() as usize, img.height() as usize);
        let table = amplitude_table(k_fixed(level_milli(level)));
        let a_black = table[0] * 12 / 16;
        let px = |x: usize, y: usize| &img.data()[(y * w + x) * 4..(y * w + x) * 4 + 4];
        let luma = |x: usize, y: usize| (77 * u32::from(px(x, y)[0]) + 150 * u32::from(px(x, y)[1]) + 29 * u32::from(px(x, y)[2])) >> 8;
        let [k0, k1] = key(seed);
        let mut out = img.clone();
        for y in 0..h {
            for x in 0..w {
                let (x0, y0) = (x - x % 2, y - y % 2);
                let (mut n, mut s1, mut s2) = (0u32, 0u32, 0u32);
                for wy in y0.saturating_sub(2)..=(y0 + 2).min(h - 1) {
                    for wx in x0.saturating_sub(2)..=(x0 + 2).min(w - 1) {
                        let l = luma(wx, wy);
                        (n, s1, s2) = (n + 1, s1 + l, s2 + l * l);
                    }
                }
                let var = ((n * s2 - s1 * s1) / (n * n)).min(16256);
                let mut a = table[var as usize].min(a_black + 16 * luma(x, y));
                if var < 64 && px(x, y)[..3] == [255, 255, 255] {
                    a = a * 7 / 4;
                }
                let u = mix(mix(((y * w.div_ceil(2) + x / 2) as u32).wrapping_mul(0x9e37_79b9).wrapping_add(k0)) ^ k1);
                let b = if x % 2 == 0 { u & 0xffff } else { u >> 16 };
                let t = (b & 0xff) as i32 + (b >> 8) as i32 - 255;
                let d = (t * a as i32 + 2048) >> 12;
                let at = (y * w + x) * 4;
                for c in 0..3 {
                    out.data_mut()[at + c] = (i32::from(img.data()[at + c]) + d).clamp(0, 255) as u8;
                }
            }
        }
        out
    }

    /// The row-by-row, block-by-block implementation gives the bytes of
    /// the plain one, at every size's edge cases (odd and even sides,
    /// images narrower or shorter than a window) and at every level.
    #[test]
    fn apply_matches_the_reference() {
        for (w, h) in [(1, 1), (2, 3), (3, 2), (4, 4), (5, 5), (6, 5), (7, 9), (8, 6), (33, 17), (64, 48)] {
            for (name, img) in pictures(w, h) {
                for level in [0.1, 0.2, 0.3] {
                    assert!(noisy(&img, level, b"ref") == reference(&img, level, b"ref"), "{name} {w}x{h} at {level}");
                }
            }
        }
    }

    /// Pins the exact output so a JavaScript port can be checked against it.
    #[test]
    fn known_answer() {
        let img = &pictures(9, 7)[7].1;
        let n = noisy(img, 0.25, b"known answer");
        let deltas: Vec<i32> = n.data().chunks_exact(4).zip(img.data().chunks_exact(4)).map(|(a, b)| a[0] as i32 - b[0] as i32).take(12).collect();
        let sum: i64 = n.data().iter().map(|&v| i64::from(v)).sum();
        assert_eq!((deltas, sum), (vec![-4, 2, 2, -2, -1, 4, 2, 0, -2, -1, 0, 1], 38403));
    }

    #[test]
    fn levels_are_clamped_and_buffers_checked() {
        assert_eq!(level_milli(0.0), 100);
        assert_eq!(level_milli(f32::NAN), 100);
        assert_eq!(level_milli(-3.0), 100);
        assert_eq!(level_milli(9.0), 300);
        assert_eq!(level_milli(0.2), 200);
        assert_eq!(level_milli(0.15), 150);
        assert!(apply(&mut [0; 7], 1, 2, 0.2, b"").is_err());
        apply(&mut [], 0, 0, 0.2, b"").unwrap();
        let mut one = [1, 2, 3, 4];
        apply(&mut one, 1, 1, 0.3, b"").unwrap();
    }

    /// [`amplitude`] is `TABLE` exactly, for every level's `K`.
    #[test]
    fn amplitude_matches_the_table() {
        for l in 100..=300 {
            let k = k_fixed(l);
            for (var, &a) in amplitude_table(k).iter().enumerate() {
                assert_eq!(amplitude(k, var as u32), a, "K {k} var {var}");
            }
        }
    }

    /// [`window_variance`] (and its `f32` estimate) is the integer division, at every quotient's
    /// edges and on random numerators.
    #[test]
    fn window_variance_divides_exactly() {
        const D: u32 = WINDOW * WINDOW;
        let check = |n: u32| {
            assert_eq!(window_variance_estimated(n), (n / D).min(MAX_VAR), "{n}");
            assert_eq!(window_variance(n), (n / D).min(MAX_VAR), "{n}");
        };
        for q in 0..=(i32::MAX as u32 / D) {
            for n in [q * D, (q * D).saturating_sub(1), q * D + 1, q * D + D - 1, q * D + D / 2] {
                check(n.min(i32::MAX as u32));
            }
        }
        let mut p = crate::protect::prng::Prng::derive("test", b"window_variance");
        for _ in 0..1_000_000 {
            check(p.next_u32() >> 1);
        }
        // The largest numerator: 25 * 25 * 255^2 with S1 = 0 is impossible,
        // but any n < 2^31 is handled.
        check(i32::MAX as u32);
    }

    #[test]
    fn worst_case_values_fit() {
        let t = amplitude_table(k_fixed(300));
        // `|t * A| < 2^19`; the white boost and `8 t` stay in 16 bits
        // (the wasm lanes).
        assert!(t.iter().all(|&a| a * 7 / 4 * 255 < 1 << 19 && a * 7 / 4 < 1 << 15), "{}", t[16256]);
        assert!(t[0] * BLACK_NUM / 16 + 16 * 255 > t[16256], "the dark cap never binds at luma 255");
    }
}

#[cfg(test)]
mod explore {
    use super::*;
    use crate::pixel::RgbaImage;
    use crate::protect::ssim::ssim;

    pub(crate) fn photos() -> Vec<(String, RgbaImage)> {
        let Ok(dir) = std::env::var("EDGEPIX_PHOTOS") else { return vec![] };
        let mut names: Vec<_> = std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok()).map(|e| e.path()).collect();
        names.sort();
        let limits = crate::codec::Limits::default();
        names.into_iter().filter_map(|p| {
            let bytes = std::fs::read(&p).ok()?;
            let probe = crate::codec::probe(&bytes, &limits).ok()?;
            let img = crate::codec::decode(&bytes, &probe, None, &limits).ok()?;
            Some((p.file_name()?.to_string_lossy().into_owned(), img))
        }).collect()
    }

    fn jpeg92(img: &RgbaImage) -> RgbaImage {
        jpeg(img, 92)
    }

    fn jpeg(img: &RgbaImage, q: u8) -> RgbaImage {
        let enc = crate::codec::encode(img, crate::codec::OutputFormat::Jpeg, q, [255, 255, 255]).unwrap();
        let limits = crate::codec::Limits::default();
        let probe = crate::codec::probe(&enc.bytes, &limits).unwrap();
        crate::codec::decode(&enc.bytes, &probe, None, &limits).unwrap()
    }

    /// Calibration on real photos: `EDGEPIX_PHOTOS=dir cargo test --release
    /// -p edgepix-core --lib protect::noise::explore::calibrate -- --ignored
    /// --nocapture`.
    #[test]
    #[ignore]
    fn calibrate() {
        use crate::protect::{grid, overlay, scramble};
        let mut all: Vec<(String, RgbaImage)> = tests::pictures(512, 384).into_iter().map(|(n, i)| (n.to_owned(), i)).collect();
        all.extend(photos());
        println!("{:22} {:>6} | noise alone 0.1 0.2 0.3 | jpeg92 | overlay 1 2 3 4 | jpeg q92/q95/q97+noise+overlay1: 0.1 0.2 0.3 | scrambled", "image", "size");
        for (name, img) in all {
            let (w, h) = (img.width(), img.height());
            let s = |a: &RgbaImage| ssim(a.data(), img.data(), w, h).unwrap();
            let mut line = format!("{name:22} {:>9} |", format!("{w}x{h}"));
            for level in [0.1, 0.2, 0.3] {
                let mut o = img.clone();
                apply(o.data_mut(), w, h, level, b"viewer").unwrap();
                line += &format!(" {:.4}", s(&o));
            }
            let j = jpeg92(&img);
            line += &format!(" | {:.4} |", s(&j));
            for c in 1..=4 {
                let mut o = img.clone();
                overlay::draw(o.data_mut(), w, h, c).unwrap();
                line += &format!(" {:.4}", s(&o));
            }
            for q in [92u8, 95, 97] {
            let j = jpeg(&img, q);
            line += " |";
            for level in [0.1, 0.2, 0.3] {
                let mut o = j.clone();
                apply(o.data_mut(), w, h, level, b"viewer").unwrap();
                overlay::draw(o.data_mut(), w, h, 1).unwrap();
                line += &format!(" {:.4}", s(&o));
            }
            }
            let g = grid::Grid::new(w, h, 32);
            let sc = scramble::scramble(&img, &g, &scramble::Layout::new(&g, b"t", true));
            let cropped = crate::transform::resample::extract(&sc, crate::pixel::Rect { x: 0, y: 0, w, h });
            line += &format!(" | {:.4}", s(&cropped));
            println!("{line}");
        }
    }

    #[test]
    #[ignore]
    fn jpeg_qualities() {
        for (name, img) in photos() {
            let mut line = format!("{name:22}");
            for q in [85u8, 90, 92, 94, 95, 96, 97, 98, 100] {
                line += &format!(" q{q} {:.4}", ssim(jpeg(&img, q).data(), img.data(), img.width(), img.height()).unwrap());
            }
            println!("{line}");
        }
    }

    /// Timings at 1920x1080, release build.
    #[test]
    #[ignore]
    fn timing() {
        use crate::protect::{grid, overlay, scramble};
        use std::time::Instant;
        let img = &tests::pictures(1920, 1080)[7].1;
        let (w, h) = (1920, 1080);
        let med = |f: &mut dyn FnMut()| {
            let mut t: Vec<f64> = (0..15).map(|_| { let s = Instant::now(); f(); s.elapsed().as_secs_f64() * 1e3 }).collect();
            t.sort_by(f64::total_cmp);
            t[7]
        };
        let mut buf = img.data().to_vec();
        let noise_ms = med(&mut || apply(&mut buf, w, h, 0.2, b"viewer").unwrap());
        let ov = med(&mut || overlay::draw(&mut buf, w, h, 1).unwrap());
        let ov4 = med(&mut || overlay::draw(&mut buf, w, h, 4).unwrap());
        let g = grid::Grid::new(w, h, 32);
        let layout = scramble::Layout::new(&g, b"t", true);
        let sc = scramble::scramble(img, &g, &layout);
        let scr_ms = med(&mut || { let _ = scramble::scramble(img, &g, &layout); });
        let mut out = vec![0u8; img.data().len()];
        let de = med(&mut || scramble::descramble(sc.data(), &g, &layout, &mut out).unwrap());
        let g64 = grid::Grid::new(w, h, 64);
        let l64 = scramble::Layout::new(&g64, b"t", true);
        let sc64 = scramble::scramble(img, &g64, &l64);
        let de64 = med(&mut || scramble::descramble(sc64.data(), &g64, &l64, &mut out).unwrap());
        let ss = med(&mut || { let _ = ssim(img.data(), &out, w, h).unwrap(); });
        println!("1920x1080 median ms: noise {noise_ms:.2}, overlay(1) {ov:.2}, overlay(4) {ov4:.2}, scramble {scr_ms:.2}, descramble(seg 32, tile {}) {de:.2}, descramble(seg 64, tile {}) {de64:.2}, ssim {ss:.1}", g.tile, g64.tile);
    }
}
