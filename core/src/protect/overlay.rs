//! A faint visible overlay: families of thin wavy diagonal lines
//! (guilloche, as on banknotes) that mark every protected view as such.
//!
//! Which pixels the lines cover, and how strongly, depends only on the
//! view's width and height and the complexity (no seed), so the server can
//! recompute the pattern when it examines a leaked copy. Each covered pixel
//! moves by [`STRENGTH`] luma levels (half that on a line's soft edge)
//! towards the other end of the scale: lighter where the pixel is dark
//! (luma < 128), darker where it is light, so lines show on any background;
//! very dark pixels move less (`luma / 8`, at least 1), since SSIM and the
//! eye are most sensitive to a shift of the mean near black.
//! The same delta goes to R, G and B (clamped); alpha is untouched. All
//! arithmetic is on integers.
//!
//! Complexity `c` (0-4) draws families `0..c`: 0 leaves the image
//! unchanged; 1 draws one family of lines running down-left; 2 adds the
//! crossing family (down-right); 3 and 4 add steeper families. Measured
//! SSIM against the input on seven photographs: complexity 1 0.995-0.998,
//! 2 0.993-0.997, 3 0.991-0.996, 4 0.989-0.995 (flat grey: 0.994 to 0.986).

use crate::pixel::PixelError;

/// The luma change at a line's centre (half at its edges).
pub const STRENGTH: i32 = 3;

/// One family of lines: `u` picks the line, `v` runs along it.
#[derive(Clone, Copy, Debug)]
struct Family {
    /// `u = ux * x + uy * y + ush * (h - 1 - y)` and likewise for `v`; the
    /// shifts keep both non-negative.
    ux: i64,
    uy: i64,
    vx: i64,
    vy: i64,
    /// Spacing in multiples of an eighth of the base period.
    period_eighths: i64,
    /// Phase, in eighths of the base period.
    phase_eighths: i64,
}

const FAMILIES: [Family; 4] = [
    Family { ux: 1, uy: 1, vx: 1, vy: -1, period_eighths: 8, phase_eighths: 0 },
    Family { ux: 1, uy: -1, vx: 1, vy: 1, period_eighths: 9, phase_eighths: 3 },
    Family { ux: 2, uy: 1, vx: 1, vy: -2, period_eighths: 12, phase_eighths: 5 },
    Family { ux: 1, uy: -2, vx: 2, vy: 1, period_eighths: 13, phase_eighths: 1 },
];

/// The base line spacing for a view: a 32nd of the longer side, at least 24.
fn base_period(width: u32, height: u32) -> i64 {
    i64::from(width.max(height) / 32).max(24)
}

/// A smooth integer wave of period `len` (even, > 0) and amplitude `amp`:
/// a parabolic arch up, then down.
fn wave(v: i64, len: i64, amp: i64) -> i64 {
    let half = len / 2;
    let p = v.rem_euclid(len);
    if p < half { 4 * amp * p * (half - p) / (half * half) } else { -(4 * amp * (p - half) * (len - p) / (half * half)) }
}

/// How strongly family `f` covers pixel `(x, y)`: 2 on a line, 1 beside
/// it, else 0. The definition; [`FamilyWalk`] computes the same along rows.
#[cfg(test)]
fn coverage(f: &Family, x: i64, y: i64, h: i64, base: i64) -> i64 {
    let period = (base * f.period_eighths / 8).max(4);
    // Non-negative coordinates: shift by multiples of the height.
    let u = f.ux * x + f.uy * y + 2 * h * f.uy.abs();
    let v = f.vx * x + f.vy * y + 2 * h * f.vy.abs();
    let len = 2 * ((3 * period) / 2).max(2);
    let r = (u + wave(v, len, period / 5) + base * f.phase_eighths / 8).rem_euclid(period);
    let d = r.min(period - r);
    (2 - d).max(0)
}

/// One family's [`coverage`], evaluated incrementally along a row.
///
/// With `P` the period and `len` the wave's length, coverage depends on
/// `(u + phase) mod P` and `v mod len`. Along a row `u` and `v` grow by
/// `ux` and `vx` (1 or 2, less than `P` and `len`), so both remainders are
/// walked with one conditional subtraction instead of 64-bit `rem_euclid`,
/// and the wave and the coverage come from small tables:
/// `wave[p] = P + wave(p, len, P / 5)` for `p` in `0..len` (the `+ P` makes
/// it positive: `|wave| <= P / 5`), and `cover[q]` for
/// `q = (u + phase) mod P + wave[v mod len]` in `0..3P`, which is the
/// coverage of `r = q mod P`. Exactly the same values as [`coverage`].
struct FamilyWalk {
    ux: usize,
    vx: usize,
    period: usize,
    len: usize,
    /// `(u + phase) mod P` and `v mod len` at `x = 0` of row 0, and their
    /// change per row, all reduced.
    u0: usize,
    v0: usize,
    u_row: usize,
    v_row: usize,
    wave: Vec<usize>,
    cover: Vec<u8>,
}

impl FamilyWalk {
    fn new(f: &Family, h: i64, base: i64) -> FamilyWalk {
        let period = (base * f.period_eighths / 8).max(4);
        let len = 2 * ((3 * period) / 2).max(2);
        let amp = period / 5;
        let wave = (0..len).map(|p| (period + wave(p, len, amp)) as usize).collect();
        let cover = (0..3 * period)
            .map(|q| {
                let r = q % period;
                (2 - r.min(period - r)).max(0) as u8
            })
            .collect();
        FamilyWalk {
            ux: f.ux as usize,
            vx: f.vx as usize,
            period: period as usize,
            len: len as usize,
            u0: (2 * h * f.uy.abs() + base * f.phase_eighths / 8).rem_euclid(period) as usize,
            v0: (2 * h * f.vy.abs()).rem_euclid(len) as usize,
            u_row: f.uy.rem_euclid(period) as usize,
            v_row: f.vy.rem_euclid(len) as usize,
            wave,
            cover,
        }
    }

    /// Raises `out[x]` to this family's coverage of `(x, y)` where it is
    /// higher.
    fn cover_row(&self, y: usize, out: &mut [u8]) {
        let (p, len) = (self.period, self.len);
        let mut pu = (self.u0 + y % p * self.u_row) % p;
        let mut pv = (self.v0 + y % len * self.v_row) % len;
        let mut rest = out;
        while !rest.is_empty() {
            // A run of pixels before either remainder wraps: no wrap tests
            // inside it.
            let run = (p - pu).div_ceil(self.ux).min((len - pv).div_ceil(self.vx)).min(rest.len());
            let (now, later) = rest.split_at_mut(run);
            let us = (pu..).step_by(self.ux);
            let waves = self.wave.get(pv..).unwrap_or_default().iter().step_by(self.vx);
            for ((o, u), &wv) in now.iter_mut().zip(us).zip(waves) {
                *o = (*o).max(self.cover.get(u + wv).copied().unwrap_or(0));
            }
            pu = (pu + run * self.ux) % p;
            pv = (pv + run * self.vx) % len;
            rest = later;
        }
    }
}

/// Draws the overlay of `complexity` (0-4; more is clamped to 4) on a
/// `width` x `height` RGBA buffer in place.
///
/// Row by row: each family marks its coverage of the row in a buffer
/// ([`FamilyWalk`]), then the covered pixels get their delta.
pub fn draw(rgba: &mut [u8], width: u32, height: u32, complexity: u8) -> Result<(), PixelError> {
    let expected = width as usize * height as usize * 4;
    if rgba.len() != expected {
        return Err(PixelError::BufferSize { width, height, expected, actual: rgba.len() });
    }
    let families = &FAMILIES[..usize::from(complexity.min(4))];
    if families.is_empty() || width == 0 {
        return Ok(());
    }
    let base = base_period(width, height);
    let h = i64::from(height);
    let walks: Vec<FamilyWalk> = families.iter().map(|f| FamilyWalk::new(f, h, base)).collect();
    let mut cover = vec![0u8; width as usize];
    for (y, row) in rgba.chunks_exact_mut(width as usize * 4).enumerate() {
        cover.fill(0);
        for walk in &walks {
            walk.cover_row(y, &mut cover);
        }
        for (px, &c) in row.chunks_exact_mut(4).zip(&cover) {
            if c == 0 {
                continue;
            }
            let luma = (77 * u32::from(px[0]) + 150 * u32::from(px[1]) + 29 * u32::from(px[2])) >> 8;
            // Dark pixels are lightened less: SSIM (and the eye) is most
            // sensitive to a shift of the mean near black.
            let full = if luma < 128 { (luma as i32 / 8).clamp(1, STRENGTH) } else { -STRENGTH };
            let delta = full * i32::from(c) / 2;
            for ch in &mut px[..3] {
                *ch = (i32::from(*ch) + delta).clamp(0, 255) as u8;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pixel::RgbaImage;
    use crate::protect::noise::tests::pictures;
    use crate::protect::ssim::ssim_images;

    fn drawn(img: &RgbaImage, c: u8) -> RgbaImage {
        let mut out = img.clone();
        draw(out.data_mut(), img.width(), img.height(), c).unwrap();
        out
    }

    #[test]
    fn zero_changes_nothing_and_more_covers_more() {
        let img = RgbaImage::filled(200, 150, [128, 128, 128, 255]);
        assert_eq!(drawn(&img, 0), img);
        let mut last = 0;
        for c in 1..=4 {
            let changed = drawn(&img, c).data().iter().zip(img.data()).filter(|(a, b)| a != b).count();
            assert!(changed > last, "complexity {c}: {changed}");
            last = changed;
        }
        assert_eq!(drawn(&img, 9), drawn(&img, 4));
    }

    #[test]
    fn deterministic_small_and_alpha_untouched() {
        let img = RgbaImage::filled(97, 61, [10, 200, 90, 77]);
        let a = drawn(&img, 3);
        assert_eq!(a, drawn(&img, 3));
        for (p, q) in a.data().chunks_exact(4).zip(img.data().chunks_exact(4)) {
            assert_eq!(p[3], q[3]);
            for c in 0..3 {
                assert!((i32::from(p[c]) - i32::from(q[c])).abs() <= STRENGTH);
            }
        }
        assert!(draw(&mut [0; 3], 1, 1, 1).is_err());
        draw(&mut [], 0, 0, 4).unwrap();
        draw(&mut [], 0, 9, 4).unwrap();
    }

    /// The row walk gives exactly [`coverage`], the definition.
    #[test]
    fn walk_matches_definition() {
        for (w, h) in [(1u32, 1u32), (7, 300), (300, 7), (97, 61), (640, 480), (2048, 1365)] {
            let base = base_period(w, h);
            for f in &FAMILIES {
                let walk = FamilyWalk::new(f, i64::from(h), base);
                let mut row = vec![0u8; w as usize];
                for y in (0..h).step_by(7) {
                    row.fill(0);
                    walk.cover_row(y as usize, &mut row);
                    for (x, &c) in row.iter().enumerate() {
                        assert_eq!(i64::from(c), coverage(f, x as i64, i64::from(y), i64::from(h), base), "{w}x{h} {f:?} ({x}, {y})");
                    }
                }
            }
        }
    }

    #[test]
    fn ssim_impact_is_small() {
        for (name, img) in pictures(256, 192) {
            let s = ssim_images(&drawn(&img, 1), &img).unwrap();
            assert!(s > 0.97, "{name}: {s}");
        }
    }
}
