//! Registration of a leak onto the reference: an exhaustive normalised
//! cross-correlation search over scale and translation at a coarse pyramid
//! level, then Gauss-Newton (Lucas-Kanade) refinement of scale, translation,
//! gain and bias level by level down to full resolution.
//!
//! The model maps a leak point (continuous, full resolution) to a reference
//! point: `x = ox + qx * u`, `y = oy + qy * v`, with luma
//! `leak ~ gain * reference + bias`.

use super::WatermarkError;
use super::gray::{Gray, area_resize};

/// Coarse search level: the first reference level whose longer side is at
/// most this.
const COARSE_SIDE: usize = 96;
/// Smallest visible fraction of the reference along a side (crops up to
/// 55 % of a side are searched).
const MIN_VISIBLE: f64 = 0.45;
/// Multiplicative step between searched scales.
const SCALE_STEP: f64 = 1.025;
/// Coarse candidates refined.
const CANDIDATES: usize = 3;
/// The medium level (leak longer side at least this) where candidates are
/// compared and the acceptance threshold applies.
const MEDIUM_SIDE: usize = 192;
/// Correlation a registration needs at the medium level.
pub(super) const MIN_NCC: f64 = 0.6;
/// Parameters within this many pixels (of displacement) of an exact case
/// are tried snapped to it...
const SNAP_PX: f64 = 0.3;
/// ...and kept snapped when the mean squared residual grows by at most
/// this factor.
const SNAP_SLACK: f64 = 1.05;
/// Most samples of one Gauss-Newton pass (finer levels are strided).
const MAX_SAMPLES: usize = 600_000;

/// Reference point = offset + inverse scale * leak point; luma model
/// `leak = gain * reference + bias`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Params {
    pub ox: f64,
    pub oy: f64,
    pub qx: f64,
    pub qy: f64,
    pub gain: f64,
    pub bias: f64,
}

/// Registers `leak` (its pyramid, full resolution first) onto `reference`.
/// Returns the parameters and the correlation at the medium level.
pub(super) fn register(leak: &[Gray], reference: &[Gray]) -> Result<(Params, f64), WatermarkError> {
    let (Some(l0), Some(r0)) = (leak.first(), reference.first()) else {
        return Err(WatermarkError::TooSmall);
    };
    let (lw, lh, rw, rh) = (l0.w as f64, l0.h as f64, r0.w as f64, r0.h as f64);
    // The leak shows at least MIN_VISIBLE of each reference side.
    let s_lo = (lw / rw).max(lh / rh);
    let s_hi = (lw / rw).min(lh / rh) / MIN_VISIBLE;
    if s_hi < s_lo {
        return Err(WatermarkError::NoOverlap);
    }
    let kc = reference
        .iter()
        .position(|g| g.w.max(g.h) <= COARSE_SIDE)
        .unwrap_or(reference.len() - 1);
    let cands = coarse(leak, reference, kc, s_lo / 1.02, s_hi * 1.02);
    if cands.is_empty() {
        return Err(WatermarkError::RegistrationFailed);
    }
    // The leak level where candidates are compared.
    let jm = leak
        .iter()
        .rposition(|g| g.w.max(g.h) >= MEDIUM_SIDE)
        .unwrap_or(0);
    let mut best: Option<(Params, f64)> = None;
    for (_, mut p) in cands {
        let q = 0.5 * (p.qx + p.qy);
        let jc = level_for(leak.len(), ((1u64 << kc) as f64 / q).log2());
        let mut ncc = None;
        for j in (jm..=jc.max(jm)).rev() {
            ncc = refine(leak, reference, j, &mut p, if j == jm { 6 } else { 8 });
            if ncc.is_none() {
                break;
            }
        }
        if let Some(c) = ncc
            && best.as_ref().is_none_or(|(_, b)| c > *b)
        {
            best = Some((p, c));
        }
    }
    let Some((mut p, score)) = best else {
        return Err(WatermarkError::RegistrationFailed);
    };
    if score.is_nan() || score < MIN_NCC {
        return Err(WatermarkError::RegistrationFailed);
    }
    for j in (0..jm).rev() {
        if refine(leak, reference, j, &mut p, 3).is_none() {
            return Err(WatermarkError::RegistrationFailed);
        }
    }
    let aniso = (p.qx / p.qy).ln().abs();
    if !(p.qx > 0.0 && p.qy > 0.0 && aniso < 0.05 && p.ox.is_finite() && p.oy.is_finite()) {
        return Err(WatermarkError::RegistrationFailed);
    }
    let mut snapped = p;
    snap(&mut snapped, lw, lh, rw, rh);
    if snapped != p {
        let (Some(a), Some(b)) = (mse(l0, r0, &snapped), mse(l0, r0, &p)) else {
            return Ok((p, score));
        };
        if a <= b * SNAP_SLACK {
            p = snapped;
        }
    }
    Ok((p, score))
}

/// Mean squared residual `leak - (gain * reference + bias)` at full
/// resolution (bilinear reference, strided to about `MAX_SAMPLES / 4`).
fn mse(l0: &Gray, r0: &Gray, p: &Params) -> Option<f64> {
    let stride = ((l0.w * l0.h) as f64 / (MAX_SAMPLES / 4) as f64)
        .sqrt()
        .ceil()
        .max(1.0) as usize;
    let (mut n, mut sum) = (0usize, 0f64);
    for v in (0..l0.h).step_by(stride) {
        let ys = p.oy + p.qy * (v as f64 + 0.5) - 0.5;
        for u in (0..l0.w).step_by(stride) {
            let xs = p.ox + p.qx * (u as f64 + 0.5) - 0.5;
            let (Some(r), Some(&l)) = (r0.bilinear(xs, ys), l0.px.get(v * l0.w + u)) else {
                continue;
            };
            let e = f64::from(l) - (p.gain * f64::from(r) + p.bias);
            sum += e * e;
            n += 1;
        }
    }
    (n >= 64).then(|| sum / n as f64)
}

/// A pyramid level index from a fractional log2 level.
fn level_for(levels: usize, log2: f64) -> usize {
    if !log2.is_finite() || log2 <= 0.0 {
        return 0;
    }
    (log2.round() as usize).min(levels.saturating_sub(1))
}

/// Rounds parameters that are near the exact cases (no scaling, a
/// whole-image resize, whole-pixel offsets), so the main case (the canvas
/// itself) is compared pixel for pixel: the watermark and noise bias the
/// least-squares fit by a few hundredths of a pixel on smooth content.
fn snap(p: &mut Params, lw: f64, lh: f64, rw: f64, rh: f64) {
    let near = |a: f64, b: f64, span: f64| (a - b).abs() * span < SNAP_PX;
    for (q, exact, span) in [(&mut p.qx, rw / lw, lw), (&mut p.qy, rh / lh, lh)] {
        if near(*q, 1.0, span) {
            *q = 1.0;
        } else if near(*q, exact, span) {
            *q = exact;
        }
    }
    for o in [&mut p.ox, &mut p.oy] {
        if (*o - o.round()).abs() < SNAP_PX {
            *o = o.round();
        }
    }
}

/// Exhaustive search at reference level `kc` over scales `s_lo..s_hi`
/// (leak size / reference size) and every translation keeping at least
/// 80 % of the leak over the reference. Returns the best few, distinct.
fn coarse(
    leak: &[Gray],
    reference: &[Gray],
    kc: usize,
    s_lo: f64,
    s_hi: f64,
) -> Vec<(f64, Params)> {
    let (Some(l0), Some(rk)) = (leak.first(), reference.get(kc)) else {
        return Vec::new();
    };
    let f = (1u64 << kc) as f64;
    let mut found: Vec<(f64, Params)> = Vec::new();
    let mut s = s_lo;
    while s <= s_hi && s > 0.0 {
        let tw = (l0.w as f64 / (s * f)).round() as usize;
        let th = (l0.h as f64 / (s * f)).round() as usize;
        s *= SCALE_STEP;
        if tw < 6 || th < 6 || tw > rk.w + 2 || th > rk.h + 2 {
            continue;
        }
        // The finest leak level still at least the template's size.
        let src = leak
            .iter()
            .rev()
            .find(|g| g.w >= tw && g.h >= th)
            .unwrap_or(l0);
        let t = area_resize(src, tw, th);
        if let Some((score, dx, dy)) = best_offset(&t, rk) {
            let p = Params {
                ox: dx as f64 * f,
                oy: dy as f64 * f,
                qx: tw as f64 * f / l0.w as f64,
                qy: th as f64 * f / l0.h as f64,
                gain: 1.0,
                bias: 0.0,
            };
            found.push((score, p));
        }
    }
    found.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut out: Vec<(f64, Params)> = Vec::new();
    for (score, p) in found {
        let distinct = out.iter().all(|(_, o)| {
            (o.qx / p.qx).ln().abs() > 0.06
                || (o.ox - p.ox).abs() > 3.0 * f
                || (o.oy - p.oy).abs() > 3.0 * f
        });
        if distinct {
            out.push((score, p));
        }
        if out.len() == CANDIDATES {
            break;
        }
    }
    out
}

/// The integer offset of template `t` over image `r` with the highest
/// normalised cross-correlation (over the overlap, which must be 80 % of
/// the template).
fn best_offset(t: &Gray, r: &Gray) -> Option<(f64, i64, i64)> {
    let m = 2i64;
    let (tw, th, rw, rh) = (t.w as i64, t.h as i64, r.w as i64, r.h as i64);
    let min_area = (tw * th) as f64 * 0.8;
    let mut best: Option<(f64, i64, i64)> = None;
    for dy in -m..=(rh - th + m) {
        let (y0, y1) = (dy.max(0), (dy + th).min(rh));
        if y1 <= y0 {
            continue;
        }
        for dx in -m..=(rw - tw + m) {
            let (x0, x1) = (dx.max(0), (dx + tw).min(rw));
            if x1 <= x0 || (((x1 - x0) * (y1 - y0)) as f64) < min_area {
                continue;
            }
            let (mut st, mut sr, mut stt, mut srr, mut str_) = (0f64, 0f64, 0f64, 0f64, 0f64);
            for y in y0..y1 {
                let trow = ((y - dy) * tw) as usize;
                let rrow = (y * rw) as usize;
                let (tx0, rx0, n) = ((x0 - dx) as usize, x0 as usize, (x1 - x0) as usize);
                let ts = &t.px[trow + tx0..trow + tx0 + n];
                let rs = &r.px[rrow + rx0..rrow + rx0 + n];
                let (mut a, mut b, mut c, mut d, mut e) = (0f32, 0f32, 0f32, 0f32, 0f32);
                for (&tv, &rv) in ts.iter().zip(rs) {
                    a += tv;
                    b += rv;
                    c += tv * tv;
                    d += rv * rv;
                    e += tv * rv;
                }
                st += f64::from(a);
                sr += f64::from(b);
                stt += f64::from(c);
                srr += f64::from(d);
                str_ += f64::from(e);
            }
            let n = ((x1 - x0) * (y1 - y0)) as f64;
            let vt = stt - st * st / n;
            let vr = srr - sr * sr / n;
            if vt <= 1e-6 * n || vr <= 1e-6 * n {
                continue;
            }
            let ncc = (str_ - st * sr / n) / (vt * vr).sqrt();
            if best.is_none_or(|(b, _, _)| ncc > b) {
                best = Some((ncc, dx, dy));
            }
        }
    }
    best
}

/// Gauss-Newton iterations on leak level `j` against the reference level
/// of matching pixel size. Updates `p`; returns the correlation of the last
/// pass, or `None` when too few samples overlap or the system is singular.
fn refine(
    leak: &[Gray],
    reference: &[Gray],
    j: usize,
    p: &mut Params,
    iters: usize,
) -> Option<f64> {
    let lj = leak.get(j)?;
    let cj = (1u64 << j) as f64;
    let q = 0.5 * (p.qx + p.qy);
    let k = level_for(reference.len(), (cj * q).log2());
    let rk = reference.get(k)?;
    let ck = (1u64 << k) as f64;
    let ik = 1.0 / ck;
    let stride = ((lj.w * lj.h) as f64 / MAX_SAMPLES as f64)
        .sqrt()
        .ceil()
        .max(1.0) as usize;
    // Centred leak coordinates decorrelate offsets from scales.
    let (uc, vc) = (lj.w as f64 * cj * 0.5, lj.h as f64 * cj * 0.5);
    let mut ncc = None;
    for _ in 0..iters {
        let mut a = [[0f64; 6]; 6];
        let mut rhs = [0f64; 6];
        let (mut n, mut sl, mut sr, mut sll, mut srr, mut slr) =
            (0usize, 0f64, 0f64, 0f64, 0f64, 0f64);
        for v in (1..lj.h.saturating_sub(1)).step_by(stride) {
            let vv = (v as f64 + 0.5) * cj;
            let ys = (p.oy + p.qy * vv) * ik - 0.5;
            if !(ys >= 1.0 && ys < rk.h as f64 - 2.0) {
                continue;
            }
            let dv = vv - vc;
            for u in (1..lj.w.saturating_sub(1)).step_by(stride) {
                let uu = (u as f64 + 0.5) * cj;
                let xs = (p.ox + p.qx * uu) * ik - 0.5;
                let (Some(r), Some(rxp), Some(rxm), Some(ryp), Some(rym)) = (
                    rk.bilinear(xs, ys),
                    rk.bilinear(xs + 1.0, ys),
                    rk.bilinear(xs - 1.0, ys),
                    rk.bilinear(xs, ys + 1.0),
                    rk.bilinear(xs, ys - 1.0),
                ) else {
                    continue;
                };
                let Some(&l) = lj.px.get(v * lj.w + u) else {
                    continue;
                };
                let (l, r) = (f64::from(l), f64::from(r));
                let gx = f64::from(rxp - rxm) * 0.5 * ik * p.gain;
                let gy = f64::from(ryp - rym) * 0.5 * ik * p.gain;
                let du = uu - uc;
                let jac = [gx, gy, gx * du, gy * dv, r, 1.0];
                let e = l - (p.gain * r + p.bias);
                for (row, jr) in a.iter_mut().zip(jac) {
                    for (cell, jc) in row.iter_mut().zip(jac) {
                        *cell += jr * jc;
                    }
                }
                for (b, jr) in rhs.iter_mut().zip(jac) {
                    *b += jr * e;
                }
                n += 1;
                sl += l;
                sr += r;
                sll += l * l;
                srr += r * r;
                slr += l * r;
            }
        }
        if n < 64 {
            return None;
        }
        let nf = n as f64;
        let (vl, vr) = (sll - sl * sl / nf, srr - sr * sr / nf);
        ncc = Some(if vl > 1e-9 && vr > 1e-9 {
            (slr - sl * sr / nf) / (vl * vr).sqrt()
        } else {
            0.0
        });
        let d = solve6(a, rhs)?;
        // Limit one step to two level pixels of displacement.
        let (umax, vmax) = (uc, vc);
        let disp = d[0].abs() + d[1].abs() + d[2].abs() * umax + d[3].abs() * vmax;
        let limit = 2.0 * ck;
        let damp = if disp > limit { limit / disp } else { 1.0 };
        let d = d.map(|x| x * damp);
        p.ox += d[0] - d[2] * uc;
        p.oy += d[1] - d[3] * vc;
        p.qx += d[2];
        p.qy += d[3];
        p.gain += d[4];
        p.bias += d[5];
        if !(p.qx > 0.0 && p.qy > 0.0 && p.gain.is_finite() && p.ox.is_finite() && p.oy.is_finite())
        {
            return None;
        }
        if disp * damp < 0.005 * ck {
            break;
        }
    }
    ncc
}

/// Solves the 6x6 normal equations (lightly damped) by Gaussian
/// elimination with partial pivoting.
fn solve6(mut a: [[f64; 6]; 6], mut b: [f64; 6]) -> Option<[f64; 6]> {
    for (i, row) in a.iter_mut().enumerate() {
        row[i] *= 1.0 + 1e-9;
        row[i] += 1e-12;
    }
    for col in 0..6 {
        let piv = (col..6).max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))?;
        if a[piv][col].is_nan() || a[piv][col].abs() <= 1e-300 {
            return None;
        }
        a.swap(col, piv);
        b.swap(col, piv);
        let (pivot_row, pivot_b) = (a[col], b[col]);
        for (row, br) in a.iter_mut().zip(b.iter_mut()).skip(col + 1) {
            let f = row[col] / pivot_row[col];
            for (cell, p) in row.iter_mut().zip(pivot_row).skip(col) {
                *cell -= f * p;
            }
            *br -= f * pivot_b;
        }
    }
    let mut x = [0f64; 6];
    for r in (0..6).rev() {
        let s: f64 = (r + 1..6).map(|c| a[r][c] * x[c]).sum();
        x[r] = (b[r] - s) / a[r][r];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}
