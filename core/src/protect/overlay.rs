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
/// `ux` and `vx` (1 or 2) per pixel, so both remainders are walked in
/// small integers instead of 64-bit `rem_euclid`, and the wave comes from a
/// table: `wave[p] = P + wave(p, len, P / 5)` for `p` in `0..len` (the
/// `+ P` makes it positive: `|wave| <= P / 5`). The coverage is that of
/// `r = q mod P` for `q = (u + phase) mod P + wave[v mod len]`: 2 at
/// `r = 0`, 1 at `r = 1` and `P - 1`, else 0 (`P >= 4`). Most pixels are
/// between lines, and [`FamilyWalk::hits`] skips over them. Exactly the
/// same values as [`coverage`].
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
    /// For each `r = q mod P`: its coverage, and how many pixels the walk
    /// may move on. With `up` and `down` the most `q` can rise and fall
    /// from one pixel to the next along a row (`ux` plus the wave's change
    /// over `vx`; `up >= 1`), an uncovered `r` needs at least
    /// `ceil((P - 1 - r) / up)` pixels to rise to the next line and
    /// `ceil((r - 1) / down)` to fall back to the last, so no pixel before
    /// the nearer of the two is covered; covered ones move on by 1.
    skip: Vec<(u8, usize)>,
}

impl FamilyWalk {
    fn new(f: &Family, h: i64, base: i64) -> FamilyWalk {
        let period = (base * f.period_eighths / 8).max(4);
        let len = 2 * ((3 * period) / 2).max(2);
        let amp = period / 5;
        let wave: Vec<usize> = (0..len).map(|p| (period + wave(p, len, amp)) as usize).collect();
        let steps = (0..len as usize).map(|p| {
            let next = wave.get((p + f.vx as usize) % len as usize).copied().unwrap_or(0);
            f.ux + next as i64 - wave.get(p).copied().unwrap_or(0) as i64
        });
        let (up, down) = steps.fold((1, 0), |(up, down), s| (up.max(s), down.max(-s)));
        let skip = (0..period)
            .map(|r| match r {
                0 => (2, 1),
                1 => (1, 1),
                r if r == period - 1 => (1, 1),
                r => {
                    let rise = (period - 1 - r + up - 1) / up;
                    let fall = if down > 0 { (r - 1 + down - 1) / down } else { rise };
                    (0, rise.min(fall) as usize)
                }
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
            skip,
        }
    }

    /// Calls `hit(x, coverage)` for every pixel of row `y` (`width` long)
    /// this family covers, left to right, skipping the rest (see
    /// [`FamilyWalk::skip`]).
    fn hits(&self, y: usize, width: usize, mut hit: impl FnMut(usize, u8)) {
        let (p, len) = (self.period, self.len);
        let mut pu = (self.u0 + y % p * self.u_row) % p;
        let mut pv = (self.v0 + y % len * self.v_row) % len;
        let mut x = 0;
        // Reductions without branches (they are unpredictable here): q <
        // 3P, and one move adds less than 2P to `pu` and less than `len` +
        // P to `pv`.
        let reduce = |v: usize, m: usize| v - if v >= m { m } else { 0 };
        while x < width {
            let q = pu + self.wave.get(pv).copied().unwrap_or(0);
            let r = reduce(reduce(q, p), p);
            let (cover, step) = self.skip.get(r).copied().unwrap_or((0, 1));
            if cover > 0 {
                hit(x, cover);
            }
            x += step;
            pu = reduce(reduce(pu + step * self.ux, p), p);
            pv = reduce(reduce(pv + step * self.vx, len), len);
        }
    }

    /// Raises `out[x]` to this family's coverage of `(x, y)` where it is
    /// higher.
    #[cfg(test)]
    fn cover_row(&self, y: usize, out: &mut [u8]) {
        let width = out.len();
        self.hits(y, width, |x, c| out[x] = out[x].max(c));
    }
}

/// The overlay's families for a `width` x `height` view at `complexity`,
/// walked row by row: [`Overlay::cover_row`] marks a row's coverage, then
/// [`shift_px`] moves each pixel. [`draw`] and [`super::view::compose`]
/// share it.
pub(super) struct Overlay {
    walks: Vec<FamilyWalk>,
}

impl Overlay {
    /// The overlay of `complexity` (0-4; more is clamped to 4).
    pub(super) fn new(width: u32, height: u32, complexity: u8) -> Overlay {
        let families = &FAMILIES[..usize::from(complexity.min(4))];
        let base = base_period(width, height);
        let h = i64::from(height);
        Overlay { walks: families.iter().map(|f| FamilyWalk::new(f, h, base)).collect() }
    }

    /// Whether the overlay draws nothing (complexity 0).
    pub(super) fn is_empty(&self) -> bool {
        self.walks.is_empty()
    }

    /// The pixels of row `y` that the overlay covers: raises `cover[x]`
    /// (all 0 before) to their coverage (1 or 2, the most of any family)
    /// and lists them in `hits`, in no particular order and once each.
    pub(super) fn cover_row(&self, y: usize, cover: &mut [u8], hits: &mut Vec<u32>) {
        hits.clear();
        for walk in &self.walks {
            walk.hits(y, cover.len(), |x, c| {
                if let Some(v) = cover.get_mut(x) {
                    if *v == 0 {
                        hits.push(x as u32);
                    }
                    *v = (*v).max(c);
                }
            });
        }
    }
}

/// Pixel `p` (RGBA bytes as a little-endian `u32`) under coverage `c`
/// (0, 1 or 2): moved by `STRENGTH * c / 2` luma levels (rounded towards
/// zero) towards the other end of the scale, clamped; unchanged when `c`
/// is 0. Branch-free, so a row of words compiles to SIMD lane operations.
#[inline]
pub(super) fn shift_px(p: u32, c: u8) -> u32 {
    let luma = super::noise::luma_px(p) as i32;
    // Dark pixels are lightened less: SSIM (and the eye) is most
    // sensitive to a shift of the mean near black.
    let full = if luma < 128 { (luma / 8).clamp(1, STRENGTH) } else { -STRENGTH };
    super::noise::shift_px(p, full * i32::from(c) / 2)
}

/// Draws the overlay of `complexity` (0-4; more is clamped to 4) on a
/// `width` x `height` RGBA buffer in place.
///
/// Row by row: each family lists the pixels of the row it covers
/// ([`FamilyWalk`], which skips ahead between lines), then those pixels
/// get their delta.
pub fn draw(rgba: &mut [u8], width: u32, height: u32, complexity: u8) -> Result<(), PixelError> {
    let expected = width as usize * height as usize * 4;
    if rgba.len() != expected {
        return Err(PixelError::BufferSize { width, height, expected, actual: rgba.len() });
    }
    let overlay = Overlay::new(width, height, complexity);
    if overlay.is_empty() || width == 0 {
        return Ok(());
    }
    let mut cover = vec![0u8; width as usize];
    let mut hits = Vec::new();
    for (y, row) in rgba.chunks_exact_mut(width as usize * 4).enumerate() {
        overlay.cover_row(y, &mut cover, &mut hits);
        for &x in &hits {
            let x = x as usize;
            if let (Some(px), Some(c)) = (row.get_mut(4 * x..4 * x + 4), cover.get_mut(x)) {
                let p = shift_px(u32::from_le_bytes([px[0], px[1], px[2], px[3]]), *c);
                px.copy_from_slice(&p.to_le_bytes());
                *c = 0;
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
