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
//! 4. The generator is `Prng::derive("edgepix/noise", seed)` (xoshiro128**,
//!    see [`super::prng`]). Pixels are visited row by row, top to bottom,
//!    left to right. For each pixel `(x, y)`:
//!    - over the 5x5 window `x-2..=x+2`, `y-2..=y+2` clipped to the image,
//!      `n` = pixels in it, `S1 = sum Y`, `S2 = sum Y*Y` (input lumas);
//!    - `var = min((n * S2 - S1 * S1) / (n * n), 16256)` and
//!      `A = TABLE[var]`;
//!    - dark pixels: `A = min(A, A_BLACK + 16 * Y)` with `Y` the pixel's own
//!      luma (near black, clamping at 0 turns noise into a mean shift, to
//!      which SSIM is most sensitive);
//!    - pure white pixels in flat windows (`R = G = B = 255` and
//!      `var < 64`): `A = (A * 7) / 4` (clamping at 255 keeps only a third
//!      of the noise's variance; this gives it back);
//!    - draw exactly one `u = next_u32()` (always, whatever `A`), then
//!      `t = (u & 0xffff) + (u >>> 16) - 65535` (triangular, -65535..=65535)
//!      and `d = (t * A + 524288) >> 20` (`|t * A| < 2^27`);
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
//! on flat grey, black and white, gradients, checkerboards and textures. A 5x5 window is used because its variance
//! tracks SSIM's 11x11 Gaussian window (sigma 1.5) closely: larger windows
//! overestimate the variance of ramps and add too much noise there.

use super::prng::Prng;
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
/// are clamped) to a `width` x `height` RGBA buffer in place, drawn from
/// `Prng::derive("edgepix/noise", seed)`. See the module docs for the exact
/// algorithm.
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

/// The luma of an RGBA pixel (step 3 of the module docs).
#[inline]
fn luma(p: &[u8]) -> u32 {
    (77 * u32::from(p[0]) + 150 * u32::from(p[1]) + 29 * u32::from(p[2])) >> 8
}

/// The amplitude `A` for each window variance 0..=16256.
fn amplitude_table(k: u32) -> Vec<u32> {
    (0..=MAX_VAR).map(|var| ((3 * k * (4 * var + 117)) / 256).saturating_sub(128).isqrt()).collect()
}

/// Adds `deltas[x]` to the R, G and B bytes of pixel `x` of the RGBA `row`,
/// clamping to 0..=255; alpha is untouched. `spread` is scratch space of
/// the row's length.
///
/// The shared last step of [`apply`], [`super::overlay::draw`] and
/// [`super::watermark::embed`]. The deltas are first spread to one per
/// byte (0 for alpha), so that the clamped add is a plain loop over bytes,
/// which the compiler turns into SIMD (wasm simd128 included).
pub(super) fn shift_rgb(row: &mut [u8], deltas: &[i16], spread: &mut [i16]) {
    for (s, &d) in spread.chunks_exact_mut(4).zip(deltas) {
        s.copy_from_slice(&[d, d, d, 0]);
    }
    for (c, &d) in row.iter_mut().zip(spread.iter()) {
        *c = (i16::from(*c) + d).clamp(0, 255) as u8;
    }
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
    // Whole windows (most pixels), in a loop of their own: a constant
    // divisor is much faster (and vectorises).
    let inner = RADIUS..w - RADIUS;
    for ((v, &s1), &s2) in var[inner.clone()].iter_mut().zip(&s1[inner.clone()]).zip(&s2[inner]) {
        *v = ((WINDOW * s2 - s1 * s1) / (WINDOW * WINDOW)).min(MAX_VAR);
    }
}

/// [`apply`] with `K` given directly: steps 2-4 of the module docs.
///
/// The luma of the rows in the window is kept in a ring of `SPAN` rows,
/// with per-column sums of `Y` and `Y^2` over them, so each output row
/// costs a few adds per pixel. Each row is then done in passes: window sums
/// along the row and the variances (SIMD-friendly), one tight loop drawing
/// the generator and turning the amplitude into a delta per pixel, then
/// [`shift_rgb`] adding the deltas with clamping.
fn apply_k(rgba: &mut [u8], width: u32, height: u32, k: u32, seed: &[u8]) -> Result<(), PixelError> {
    let expected = width as usize * height as usize * 4;
    if rgba.len() != expected {
        return Err(PixelError::BufferSize { width, height, expected, actual: rgba.len() });
    }
    let (w, h) = (width as usize, height as usize);
    if w == 0 || h == 0 {
        return Ok(());
    }
    let table = amplitude_table(k);
    // Exactly MAX_VAR + 1 entries, so `table[var]` (var <= MAX_VAR) needs
    // no bounds check.
    let table = &table[..=MAX_VAR as usize];
    let a_black = table[0] * BLACK_NUM / 16;
    let stride = w * 4;
    // Luma of the window's rows (input values), and column sums of Y, Y^2.
    let mut ring = vec![0u8; SPAN * w];
    let (mut c1, mut c2) = (vec![0u32; w], vec![0u32; w]);
    let add_row = |ring: &mut [u8], c1: &mut [u32], c2: &mut [u32], rgba: &[u8], y: usize| {
        let slot = &mut ring[(y % SPAN) * w..(y % SPAN + 1) * w];
        let pixels = rgba[y * stride..(y + 1) * stride].chunks_exact(4);
        for (p, l) in pixels.zip(slot.iter_mut()) {
            *l = luma(p) as u8;
        }
        for ((&l, s1), s2) in slot.iter().zip(c1.iter_mut()).zip(c2.iter_mut()) {
            let l = u32::from(l);
            *s1 += l;
            *s2 += l * l;
        }
    };
    for y in 0..=RADIUS.min(h - 1) {
        add_row(&mut ring, &mut c1, &mut c2, rgba, y);
    }
    // Columns in each pixel's window (SPAN away from the sides).
    let cols: Vec<u32> = (0..w).map(|x| ((x + RADIUS).min(w - 1) + 1 - x.saturating_sub(RADIUS)) as u32).collect();
    let (mut s1, mut s2, mut var) = (vec![0u32; w], vec![0u32; w], vec![0u32; w]);
    let mut deltas = vec![0i16; w];
    let mut spread = vec![0i16; stride];
    let mut prng = Prng::derive("edgepix/noise", seed);
    for y in 0..h {
        let rows = ((y + RADIUS).min(h - 1) + 1 - y.saturating_sub(RADIUS)) as u32;
        window_sums(&c1, &mut s1);
        window_sums(&c2, &mut s2);
        variances(&s1, &s2, rows, &cols, &mut var);
        let lumas = &ring[(y % SPAN) * w..(y % SPAN + 1) * w];
        let row = &mut rgba[y * stride..(y + 1) * stride];
        for (((px, &l), &var), d) in row.chunks_exact(4).zip(lumas).zip(&var).zip(deltas.iter_mut()) {
            let mut a = table[var as usize].min(a_black + 16 * u32::from(l));
            if var < 64 && px[..3] == [255, 255, 255] {
                a = a * 7 / 4;
            }
            let u = prng.next_u32();
            let t = (u & 0xffff) as i32 + (u >> 16) as i32 - 65535;
            // |d| < 128 here; clamping to +-255 would keep it exact in any
            // case, since a channel plus a larger delta clamps the same way.
            *d = ((t * a as i32 + 524_288) >> 20).clamp(-255, 255) as i16;
        }
        shift_rgb(row, &deltas, &mut spread);
        if y >= RADIUS {
            let slot = &ring[((y - RADIUS) % SPAN) * w..((y - RADIUS) % SPAN + 1) * w];
            for ((&l, s1), s2) in slot.iter().zip(c1.iter_mut()).zip(c2.iter_mut()) {
                let l = u32::from(l);
                *s1 -= l;
                *s2 -= l * l;
            }
        }
        if y + RADIUS + 1 < h {
            add_row(&mut ring, &mut c1, &mut c2, rgba, y + RADIUS + 1);
        }
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

    /// Pins the exact output so a JavaScript port can be checked against it.
    #[test]
    fn known_answer() {
        let img = &pictures(9, 7)[7].1;
        let n = noisy(img, 0.25, b"known answer");
        let deltas: Vec<i32> = n.data().chunks_exact(4).zip(img.data().chunks_exact(4)).map(|(a, b)| a[0] as i32 - b[0] as i32).take(12).collect();
        let sum: i64 = n.data().iter().map(|&v| i64::from(v)).sum();
        assert_eq!((deltas, sum), (vec![-2, 0, 2, 2, 3, -2, -1, -2, -2, 4, -5, 1], 38598));
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

    #[test]
    fn worst_case_values_fit() {
        let t = amplitude_table(k_fixed(300));
        assert!(t.iter().all(|&a| (a as i64) * 65535 < 1 << 27), "{}", t[16256]);
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
