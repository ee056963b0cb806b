//! The invisible forensic watermark: a view ticket's 64-bit payload id
//! spread over the image as a faint, smooth luma pattern, and its informed
//! (non-blind) extraction from a leaked copy against the view image.
//!
//! # Embedding, step by step
//!
//! Everything after the layout is 32-bit integer arithmetic, so a plain
//! JavaScript port reproduces it bit for bit (`>>` below is an arithmetic
//! shift, `/` and `%` are on non-negative integers).
//!
//! 1. **Layout** (fixed, independent of image and payload). The image is
//!    cut into a [`GRID`] x [`GRID`] grid of cells in normalised
//!    coordinates; cell `c = cy * GRID + cx`. Let `perm = [0, 1, ..,
//!    GRID² - 1]`, shuffled by [`Prng::shuffle`] with
//!    `Prng::derive("edgepix/watermark", b"layout")`. For `k` in
//!    `0..GRID²`, cell `perm[k]` carries bit `k % 64` with chip `+1` when
//!    `(k / 64) % 2 == 0`, else `-1` (16 cells a bit, 8 of each chip).
//! 2. **Cell values.** Bit `b` of the payload is `(payload >> b) & 1`
//!    (least significant first). Cell `c` carrying bit `b` with chip `h`
//!    gets `v[c] = h * (2 * bit - 1) * strength` (`|v| <= 255`).
//! 3. **Interpolation tables**, per axis of length `n` (`width` for
//!    columns, `height` for rows) and pixel index `x` in `0..n`:
//!    `num = (2x + 1) * GRID + n`, `den = 2n`, `hi = num / den`,
//!    `frac = num % den`, `w = frac * 256 / den` (0..=255),
//!    `lo = min(max(hi - 1, 0), GRID - 1)`, `hi = min(hi, GRID - 1)`.
//!    (This is linear interpolation between cell centres: pixel centre
//!    `x + 0.5` sits at `t = (x + 0.5) * GRID / n - 0.5` cell-centre units,
//!    `hi = floor(t) + 1`, `w / 256 ~ t - floor(t)`; beyond the outer
//!    centres the edge cell's value holds.)
//! 4. **Row blend.** For row `y` with `(lo_y, hi_y, w_y)`, for each `cx`:
//!    `r[cx] = (256 - w_y) * v[lo_y * GRID + cx] + w_y * v[hi_y * GRID + cx]`.
//! 5. **Pixel offset.** For column `x` with `(lo_x, hi_x, w_x)`:
//!    `s = (256 - w_x) * r[lo_x] + w_x * r[hi_x]` (`|s| < 2^24`) and
//!    `d = (s + 2^19) >> 20`, i.e. `strength / 16` levels times the
//!    interpolated cell sign, rounded.
//! 6. **Apply.** R, G and B each become `clamp(c + d, 0, 255)`; alpha is
//!    untouched.
//!
//! At [`DEFAULT_STRENGTH`] (2 levels at cell centres) the mean squared
//! change is about 2 (PSNR ~45 dB); the pattern varies over a cell (1/32
//! of the image side), far below what the eye sees as texture, and the
//! per-viewer noise and JPEG's quantisation mostly average out over a cell.
//!
//! # Extraction
//!
//! [`extract`] is informed: it gets the *reference*, the view image exactly
//! as the canvas had it before [`embed`]. It (1) registers the leak onto
//! the reference (luma pyramids; exhaustive normalised cross-correlation
//! over scale and translation at ~96 px, then Gauss-Newton refinement of
//! separate x/y scales, translation, gain and bias down to full
//! resolution; see [`Registration`] for the mapping), (2) resamples the
//! reference onto the leak's pixel grid (Lanczos3; a plain copy when the
//! leak is the canvas itself), fits `leak ~ gain * reference + bias`, and
//! takes the residual (clipped to ±[`RESIDUAL_CLIP`] levels against local
//! disagreements), (3) projects the residual onto each cell's bilinear
//! basis function (the matched filter of step 5), and (4) sums each bit's
//! cells times their chips. `soft[b]` is normalised so that an untouched,
//! uncropped copy embedded at [`DEFAULT_STRENGTH`] gives about ±1; crops
//! shrink it towards 0 for the bits whose cells are gone.
//!
//! # Identification
//!
//! [`identify`] correlates the soft values with each candidate's ±1 bits:
//! `z = sum(soft[b] * sign_b) / sqrt(sum(soft[b]²))`. For a candidate whose
//! payload is independent of the leak (any ticket other than the source,
//! provided **payload ids are drawn uniformly at random**, never sequential),
//! Hoeffding's inequality bounds `P(z >= t) <= exp(-t² / 2)` whatever the
//! soft values are, so the threshold `sqrt(2 ln(n / FALSE_MATCH_BOUND))`
//! keeps the chance that any of `n` wrong candidates clears it under
//! [`FALSE_MATCH_BOUND`]. The best must also lead the second by
//! [`MIN_LEAD`]. An untouched copy reaches `z ~ 8` (the maximum is
//! `sqrt(64)`).
//!
//! The layout is public (open source), so the watermark resists accidents
//! and casual laundering (screenshots, re-encoding, resizing, cropping),
//! not an adversary who has two differently watermarked copies.

mod gray;
mod register;

use thiserror::Error;

use crate::pixel::{PixelError, RgbaImage};
use crate::protect::prng::Prng;
use gray::{Gray, lanczos_region, pyramid};

/// Bits carried: a view ticket's payload id.
pub const PAYLOAD_BITS: usize = 64;
/// Cells per side of the watermark grid.
pub const GRID: usize = 32;
/// The default strength: the amplitude at cell centres, in 1/16 luma
/// levels (32 = 2 levels).
pub const DEFAULT_STRENGTH: u8 = 32;
/// Residual values are clipped to ± this many levels before projection.
pub const RESIDUAL_CLIP: f32 = 20.0;
/// The bound on the probability that [`identify`] names a wrong ticket.
pub const FALSE_MATCH_BOUND: f64 = 1e-6;
/// How far (in z) the best candidate must lead the second.
pub const MIN_LEAD: f64 = 1.5;
/// Smallest side (of the reference and of the leak) extraction accepts.
pub const MIN_SIDE: u32 = 48;

/// Why extraction failed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WatermarkError {
    /// The leak or the reference is too small to carry the watermark.
    #[error("the image is too small: both sides must be at least {MIN_SIDE} px")]
    TooSmall,
    /// The leak's shape cannot be a crop of a scaled reference.
    #[error("the leak cannot overlap the reference: its aspect is too different")]
    NoOverlap,
    /// The leak could not be registered onto the reference (an unrelated
    /// or featureless image, or a transformation outside the model).
    #[error("the leak could not be registered onto the reference")]
    RegistrationFailed,
}

/// Where the leak sits on the reference. Coordinates are continuous, with
/// pixel `i` spanning `[i, i + 1)`: the leak point `(u, v)` shows the
/// reference point `(offset_x + u / scale, offset_y + v / scale_y)`. So
/// the leak pixel centre `(u + 0.5, v + 0.5)` maps to
/// `offset_x + (u + 0.5) / scale`, and an uncropped resize to 75 % has
/// `scale ~ 0.75` and offsets 0; the canvas itself has scale 1, offsets 0.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Registration {
    /// Horizontal scale: leak pixels per reference pixel.
    pub scale: f64,
    /// Reference x of the leak's left edge.
    pub offset_x: f64,
    /// Reference y of the leak's top edge.
    pub offset_y: f64,
    /// Correlation of leak and reference luma at a ~192 px level
    /// (1 = identical up to gain and bias).
    pub score: f64,
    /// Vertical scale; equals `scale` up to the rounding of a resized
    /// leak's height.
    pub scale_y: f64,
}

/// What extraction found.
#[derive(Clone, Debug, PartialEq)]
pub struct Extraction {
    /// How the leak maps onto the reference.
    pub registration: Registration,
    /// One soft value per bit, positive for 1 (about ±1 for an untouched
    /// copy at the default strength).
    pub soft: [f32; PAYLOAD_BITS],
    /// The hard bits: bit `b` set when `soft[b] > 0`.
    pub bits: u64,
    /// Cells of which at least half was visible in the leak.
    pub cells_used: u32,
}

impl Extraction {
    /// Bit errors of [`Extraction::bits`] against `payload`, as a fraction
    /// of [`PAYLOAD_BITS`].
    pub fn bit_error_rate(&self, payload: u64) -> f64 {
        f64::from((self.bits ^ payload).count_ones()) / PAYLOAD_BITS as f64
    }

    /// The z-score of `payload` (see the module documentation); 0 when the
    /// soft values are all zero.
    pub fn z(&self, payload: u64) -> f64 {
        self.norm().map_or(0.0, |norm| correlate(&self.soft, payload) / norm)
    }

    /// The Euclidean norm of the soft values; `None` when it is zero or
    /// not a number (nothing was read).
    fn norm(&self) -> Option<f64> {
        let norm = self.soft.iter().map(|&s| f64::from(s) * f64::from(s)).sum::<f64>().sqrt();
        (norm > 0.0).then_some(norm)
    }
}

/// The candidate [`identify`] picked.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Match {
    /// Its index in the candidates.
    pub index: usize,
    /// Its z-score.
    pub z: f64,
    /// Hard bit errors against it.
    pub bit_errors: u32,
}

/// Which bit (0..64) and chip (±1) each cell carries, indexed by cell.
fn layout() -> Vec<(u8, i8)> {
    let cells = GRID * GRID;
    let mut perm: Vec<usize> = (0..cells).collect();
    Prng::derive("edgepix/watermark", b"layout").shuffle(&mut perm);
    let mut out = vec![(0u8, 1i8); cells];
    for (k, &cell) in perm.iter().enumerate() {
        if let Some(slot) = out.get_mut(cell) {
            *slot = (
                (k % PAYLOAD_BITS) as u8,
                if (k / PAYLOAD_BITS).is_multiple_of(2) {
                    1
                } else {
                    -1
                },
            );
        }
    }
    out
}

/// Step 3 of the module documentation: `(lo, hi, w)` for each pixel of an
/// axis of length `n`.
fn axis_table(n: u32) -> Vec<(usize, usize, i32)> {
    let (g, n64) = (GRID as u64, u64::from(n));
    let den = 2 * n64;
    (0..n64)
        .map(|x| {
            let num = (2 * x + 1) * g + n64;
            let hi = num / den;
            let w = ((num % den) * 256 / den) as i32;
            let lo = hi.saturating_sub(1).min(g - 1) as usize;
            (lo, hi.min(g - 1) as usize, w)
        })
        .collect()
}

/// Embeds `payload` into the RGBA buffer in place (alpha untouched), at
/// `strength` 1/16 levels (see the module documentation for the exact
/// integer algorithm). Deterministic in (width, height, payload, strength).
pub fn embed(
    rgba: &mut [u8],
    width: u32,
    height: u32,
    payload: u64,
    strength: u8,
) -> Result<(), PixelError> {
    let expected = (width as usize)
        .checked_mul(height as usize)
        .and_then(|n| n.checked_mul(4));
    if expected != Some(rgba.len()) {
        return Err(PixelError::BufferSize {
            width,
            height,
            expected: expected.unwrap_or(usize::MAX),
            actual: rgba.len(),
        });
    }
    if strength == 0 || width == 0 || height == 0 {
        return Ok(());
    }
    let rows = Embedder::new(width, height, payload, strength);
    let mut deltas = vec![0i32; width as usize];
    let mut words = vec![0u32; width as usize];
    for (y, row) in rgba.chunks_exact_mut(width as usize * 4).enumerate() {
        rows.deltas(y, &mut deltas);
        super::noise::shift_rgb(row, &deltas, &mut words);
    }
    Ok(())
}

/// Steps 1-5 of the module documentation for one image: each row's
/// offsets `d`, for [`embed`] and for [`super::view::compose`], which
/// applies them in its own pass.
pub(super) struct Embedder {
    /// Cell values (step 2).
    v: Vec<i32>,
    /// `(lo, hi, w)` per row (step 3).
    rows: Vec<(usize, usize, i32)>,
    /// The columns, in runs between the same two cells.
    spans: Vec<ColumnSpan>,
}

impl Embedder {
    /// The embedder of `payload` at `strength` for a `width` x `height`
    /// image.
    pub(super) fn new(width: u32, height: u32, payload: u64, strength: u8) -> Embedder {
        let v = layout()
            .iter()
            .map(|&(bit, chip)| {
                let sign = if (payload >> bit) & 1 == 1 { 1 } else { -1 };
                i32::from(chip) * sign * i32::from(strength)
            })
            .collect();
        Embedder { v, rows: axis_table(height), spans: column_spans(&axis_table(width)) }
    }

    /// Row `y`'s offset `d` for each column into `out` (`width` long).
    pub(super) fn deltas(&self, y: usize, out: &mut [i32]) {
        let Some(&(lo_y, hi_y, w_y)) = self.rows.get(y) else {
            out.fill(0);
            return;
        };
        let mut r = [0i32; GRID];
        for (cx, rv) in r.iter_mut().enumerate() {
            let a = self.v.get(lo_y * GRID + cx).copied().unwrap_or(0);
            let b = self.v.get(hi_y * GRID + cx).copied().unwrap_or(0);
            *rv = (256 - w_y) * a + w_y * b;
        }
        // Step 5 span by span: `(256 - w) * r[lo] + w * r[hi]` is
        // `256 * r[lo] + w * (r[hi] - r[lo])`, the same integer.
        for span in &self.spans {
            let lo = r.get(span.lo).copied().unwrap_or(0);
            let step = r.get(span.hi).copied().unwrap_or(0) - lo;
            let out = out.get_mut(span.start..span.start + span.weights.len()).unwrap_or_default();
            for (d, &w_x) in out.iter_mut().zip(&span.weights) {
                // |s| < 2^24, so |d| <= 16.
                *d = (256 * lo + w_x * step + (1 << 19)) >> 20;
            }
        }
    }
}

/// A run of columns that interpolate between the same two cells.
struct ColumnSpan {
    /// The first column.
    start: usize,
    /// The cells, as in [`axis_table`].
    lo: usize,
    hi: usize,
    /// The weight of `hi` for each column of the run.
    weights: Vec<i32>,
}

/// [`axis_table`]'s columns grouped into runs of equal `(lo, hi)`.
fn column_spans(cols: &[(usize, usize, i32)]) -> Vec<ColumnSpan> {
    let mut spans: Vec<ColumnSpan> = Vec::new();
    for (x, &(lo, hi, w)) in cols.iter().enumerate() {
        match spans.last_mut() {
            Some(s) if s.lo == lo && s.hi == hi => s.weights.push(w),
            _ => spans.push(ColumnSpan { start: x, lo, hi, weights: vec![w] }),
        }
    }
    spans
}

/// The bilinear basis of one axis in continuous reference coordinates:
/// `(lo, hi, weight of hi)` for a point `x` on an axis of length `n`.
fn basis(x: f64, n: f64) -> (usize, usize, f64) {
    let t = x * GRID as f64 / n - 0.5;
    let f0 = t.floor();
    let frac = t - f0;
    let clamp = |i: f64| i.clamp(0.0, (GRID - 1) as f64) as usize;
    (clamp(f0), clamp(f0 + 1.0), frac)
}

/// Per-cell energy of the basis along one axis over a whole reference axis
/// of `n` pixels.
fn full_energy(n: usize) -> [f64; GRID] {
    let mut e = [0f64; GRID];
    for x in 0..n {
        let (lo, hi, f) = basis(x as f64 + 0.5, n as f64);
        if lo == hi {
            e[lo] += 1.0;
        } else {
            e[lo] += (1.0 - f) * (1.0 - f);
            e[hi] += f * f;
        }
    }
    e
}

/// Extracts the watermark from `leak` against `reference`, the view image
/// exactly as the canvas had it before [`embed`]. The leak may be scaled,
/// cropped (up to about half of a side), recompressed and noisy; an
/// unrelated or featureless image gives an error, not a guess.
pub fn extract(leak: &RgbaImage, reference: &RgbaImage) -> Result<Extraction, WatermarkError> {
    if leak.width().min(leak.height()) < MIN_SIDE
        || reference.width().min(reference.height()) < MIN_SIDE
    {
        return Err(WatermarkError::TooSmall);
    }
    let lp = pyramid(Gray::luma(leak), 12);
    let rp = pyramid(Gray::luma(reference), 12);
    let (p, score) = register::register(&lp, &rp)?;
    let (Some(l0), Some(r0)) = (lp.first(), rp.first()) else {
        return Err(WatermarkError::TooSmall);
    };
    let (rw, rh) = (r0.w as f64, r0.h as f64);
    // Leak pixels whose reference footprint lies inside the reference with
    // a margin (for the resampling filter), away from the leak's own edge.
    // A leak that is the canvas or a whole-pixel crop of it needs neither.
    let exact = p.qx == 1.0 && p.qy == 1.0 && p.ox.fract() == 0.0 && p.oy.fract() == 0.0;
    let (margin, edge) = if exact { (0.0, 0.0) } else { (3.0, 2.0) };
    let span = |o: f64, q: f64, n: f64, len: usize| {
        let lo = ((margin - o) / q - 0.5).ceil().max(edge);
        let hi = ((n - margin - o) / q - 0.5)
            .floor()
            .min(len as f64 - 1.0 - edge);
        (lo as i64, hi as i64)
    };
    let (u0, u1) = span(p.ox, p.qx, rw, l0.w);
    let (v0, v1) = span(p.oy, p.qy, rh, l0.h);
    if u1 - u0 < 16 || v1 - v0 < 16 {
        return Err(WatermarkError::NoOverlap);
    }
    let (u0, v0) = (u0 as usize, v0 as usize);
    let (nu, nv) = (
        (u1 as usize + 1).saturating_sub(u0),
        (v1 as usize + 1).saturating_sub(v0),
    );
    let region = (
        p.ox + p.qx * u0 as f64,
        p.oy + p.qy * v0 as f64,
        p.qx * nu as f64,
        p.qy * nv as f64,
    );
    let rr = lanczos_region(r0, region, nu, nv).ok_or(WatermarkError::RegistrationFailed)?;
    // Gain and bias by least squares over the overlap.
    let (mut n, mut sl, mut sr, mut srr, mut slr) = (0f64, 0f64, 0f64, 0f64, 0f64);
    for y in 0..nv {
        let lrow = l0
            .px
            .get((v0 + y) * l0.w + u0..(v0 + y) * l0.w + u0 + nu)
            .unwrap_or(&[]);
        for (&l, &r) in lrow.iter().zip(&rr.px[y * nu..(y + 1) * nu]) {
            let (l, r) = (f64::from(l), f64::from(r));
            n += 1.0;
            sl += l;
            sr += r;
            srr += r * r;
            slr += l * r;
        }
    }
    let var_r = srr - sr * sr / n.max(1.0);
    let gain = if var_r > 1e-6 * n {
        ((slr - sl * sr / n) / var_r) as f32
    } else {
        1.0
    };
    let bias = ((sl - f64::from(gain) * sr) / n.max(1.0)) as f32;
    // Projections onto the cell basis functions.
    let cols: Vec<(usize, usize, f32)> = (0..nu)
        .map(|i| basis(p.ox + p.qx * ((u0 + i) as f64 + 0.5), rw))
        .map(|(a, b, f)| (a, b, f as f32))
        .collect();
    let rows: Vec<(usize, usize, f64)> = (0..nv)
        .map(|i| basis(p.oy + p.qy * ((v0 + i) as f64 + 0.5), rh))
        .collect();
    let mut proj = vec![0f64; GRID * GRID];
    let mut rowp = [0f32; GRID];
    for (y, &(lo_y, hi_y, fy)) in rows.iter().enumerate() {
        rowp.fill(0.0);
        let lrow = l0
            .px
            .get((v0 + y) * l0.w + u0..(v0 + y) * l0.w + u0 + nu)
            .unwrap_or(&[]);
        for ((&l, &r), &(lo, hi, f)) in lrow.iter().zip(&rr.px[y * nu..(y + 1) * nu]).zip(&cols) {
            let e = (l - gain * r - bias).clamp(-RESIDUAL_CLIP, RESIDUAL_CLIP);
            rowp[lo] += (1.0 - f) * e;
            rowp[hi] += f * e;
        }
        for (cx, &rp) in rowp.iter().enumerate() {
            proj[lo_y * GRID + cx] += (1.0 - fy) * f64::from(rp);
            proj[hi_y * GRID + cx] += fy * f64::from(rp);
        }
    }
    let axis_energy = |table: &mut dyn Iterator<Item = (usize, usize, f64)>| {
        let mut e = [0f64; GRID];
        for (lo, hi, f) in table {
            e[lo] += (1.0 - f) * (1.0 - f);
            e[hi] += f * f;
        }
        e
    };
    let ex = axis_energy(&mut cols.iter().map(|&(a, b, f)| (a, b, f64::from(f))));
    let ey = axis_energy(&mut rows.iter().copied());
    // Whole-reference energies, in leak pixels.
    let (fx, fy) = (full_energy(r0.w), full_energy(r0.h));
    let amplitude = f64::from(DEFAULT_STRENGTH) / 16.0;
    let mut num = [0f64; PAYLOAD_BITS];
    let mut den = [0f64; PAYLOAD_BITS];
    let mut cells_used = 0u32;
    for (c, &(bit, chip)) in layout().iter().enumerate() {
        let (cx, cy) = (c % GRID, c / GRID);
        let full = fx[cx] / p.qx * fy[cy] / p.qy;
        if ex[cx] * ey[cy] >= 0.5 * full {
            cells_used += 1;
        }
        num[usize::from(bit)] += f64::from(chip) * proj[c];
        den[usize::from(bit)] += full;
    }
    let mut soft = [0f32; PAYLOAD_BITS];
    let mut bits = 0u64;
    for b in 0..PAYLOAD_BITS {
        let s = if den[b] > 0.0 {
            num[b] / (amplitude * den[b])
        } else {
            0.0
        };
        soft[b] = if s.is_finite() { s as f32 } else { 0.0 };
        if soft[b] > 0.0 {
            bits |= 1 << b;
        }
    }
    let registration = Registration {
        scale: 1.0 / p.qx,
        offset_x: p.ox,
        offset_y: p.oy,
        score,
        scale_y: 1.0 / p.qy,
    };
    Ok(Extraction {
        registration,
        soft,
        bits,
        cells_used,
    })
}

/// `sum(soft[b] * (2 * bit_b - 1))`.
fn correlate(soft: &[f32; PAYLOAD_BITS], payload: u64) -> f64 {
    soft.iter()
        .enumerate()
        .map(|(b, &s)| {
            if (payload >> b) & 1 == 1 {
                f64::from(s)
            } else {
                -f64::from(s)
            }
        })
        .sum()
}

/// The z-score a match among `n` candidates needs:
/// `sqrt(2 ln(n / FALSE_MATCH_BOUND))` (5.26 for one candidate, 6.43 for
/// a thousand, 7.43 for a million).
pub fn z_threshold(n: usize) -> f64 {
    (2.0 * (n.max(1) as f64 / FALSE_MATCH_BOUND).ln()).sqrt()
}

/// Picks the candidate payload the extraction names: the highest z-score,
/// if it reaches [`z_threshold`] for the number of candidates and leads the
/// second by [`MIN_LEAD`]; `None` otherwise (including no candidates, or a
/// payload listed twice).
pub fn identify(extraction: &Extraction, candidates: &[u64]) -> Option<Match> {
    let norm = extraction.norm()?;
    let mut best: Option<(usize, f64)> = None;
    let mut second = f64::NEG_INFINITY;
    for (i, &c) in candidates.iter().enumerate() {
        let z = correlate(&extraction.soft, c) / norm;
        match best {
            Some((_, bz)) if z <= bz => second = second.max(z),
            _ => {
                if let Some((_, bz)) = best {
                    second = second.max(bz);
                }
                best = Some((i, z));
            }
        }
    }
    let (index, z) = best?;
    if z < z_threshold(candidates.len()) || z - second < MIN_LEAD {
        return None;
    }
    let bit_errors = candidates
        .get(index)
        .map_or(PAYLOAD_BITS as u32, |c| (extraction.bits ^ c).count_ones());
    Some(Match {
        index,
        z,
        bit_errors,
    })
}

#[cfg(test)]
mod tests;
