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

/// One family's [`coverage`], walked along rows from line to line.
///
/// With `P` the period and `len` the wave's length, coverage depends only
/// on the state `(a, b)` = `((u + phase) mod P, v mod len)`: with the table
/// `wave[b] = P + wave(b, len, P / 5)` (positive: `|wave| <= P / 5`), the
/// pixel is covered 2 when `(a + wave[b]) mod P` is 0 and 1 when it is 1
/// or `P - 1` (`P >= 4`). One pixel to the right moves the state to
/// `((a + ux) mod P, (b + vx) mod len)`, so the walk along any row is a
/// fixed cycle through the `P * len` states, and a table built once gives,
/// for every state, the distance to the next covered state along it and
/// which state that is. A row then costs one lookup per covered pixel
/// (most pixels are between lines). Exactly the same values as
/// [`coverage`].
struct FamilyWalk {
    period: usize,
    len: usize,
    /// The state at `x = 0` of row 0, and its change per row, reduced.
    a0: usize,
    b0: usize,
    a_row: usize,
    b_row: usize,
    /// The coverage (0, 1 or 2) of state `a * len + b`.
    cover: Vec<u8>,
    /// For state `s`: how many pixels to the right the next covered state
    /// is (at least 1), and its index; `NEVER` where the cycle through `s`
    /// covers nothing.
    next: Vec<(u32, u32)>,
}

/// [`FamilyWalk::next`] of a state whose cycle covers nothing.
const NEVER: (u32, u32) = (u32::MAX, 0);

impl FamilyWalk {
    fn new(f: &Family, h: i64, base: i64) -> FamilyWalk {
        let period = (base * f.period_eighths / 8).max(4);
        let len = 2 * ((3 * period) / 2).max(2);
        let amp = period / 5;
        let (p, l) = (period as usize, len as usize);
        let wave: Vec<usize> = (0..len).map(|b| (period + wave(b, len, amp)) as usize).collect();
        // `a + wave[b]` < 3P: two conditional subtractions reduce it.
        let reduce = |v: usize, m: usize| if v >= m { v - m } else { v };
        let mut cover = Vec::with_capacity(p * l);
        for a in 0..p {
            cover.extend(wave.iter().map(|&wb| match reduce(reduce(a + wb, p), p) {
                0 => 2,
                r if r == 1 || r == p - 1 => 1,
                _ => 0,
            }));
        }
        // Walk back from every covered state to the covered state before
        // it on its cycle: each state is reached exactly once.
        let (ux, vx) = (f.ux as usize % p, f.vx as usize % l);
        let mut next = vec![NEVER; p * l];
        for (c, _) in cover.iter().enumerate().filter(|&(_, &k)| k > 0) {
            let (mut a, mut b) = (c / l, c % l);
            for d in 1u32.. {
                a = reduce(a + p - ux, p);
                b = reduce(b + l - vx, l);
                let s = a * l + b;
                let Some(slot) = next.get_mut(s) else { break };
                *slot = (d, c as u32);
                if cover.get(s).copied().unwrap_or(1) > 0 {
                    break;
                }
            }
        }
        FamilyWalk {
            period: p,
            len: l,
            a0: (2 * h * f.uy.abs() + base * f.phase_eighths / 8).rem_euclid(period) as usize,
            b0: (2 * h * f.vy.abs()).rem_euclid(len) as usize,
            a_row: f.uy.rem_euclid(period) as usize,
            b_row: f.vy.rem_euclid(len) as usize,
            cover,
            next,
        }
    }

    /// Calls `hit(x, coverage)` for every pixel of row `y` (`width` long)
    /// this family covers, left to right, jumping from one to the next.
    fn hits(&self, y: usize, width: usize, mut hit: impl FnMut(usize, u8)) {
        let (p, l) = (self.period, self.len);
        let a = (self.a0 + y % p * self.a_row) % p;
        let b = (self.b0 + y % l * self.b_row) % l;
        let mut s = a * l + b;
        let mut x = 0;
        if width == 0 {
            return;
        }
        if let Some(&c) = self.cover.get(s).filter(|&&c| c > 0) {
            hit(x, c);
        }
        while let Some(&(d, t)) = self.next.get(s) {
            x = x.saturating_add(d as usize);
            if x >= width {
                return;
            }
            hit(x, self.cover.get(t as usize).copied().unwrap_or(0));
            s = t as usize;
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
/// ([`FamilyWalk`], which jumps from one to the next), then those pixels
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
