//! Pixel effects: blur, sharpen and colour adjustments.
//!
//! The blur approximates a gaussian with three box blurs per axis (integer
//! running sums, so the cost per pixel does not grow with the radius); the
//! box widths come from the standard "boxes for gauss" derivation.

use crate::pixel::{Rect, RgbaImage};

/// Box widths whose three-fold convolution approximates a gaussian of
/// standard deviation `sigma`.
fn boxes_for_gauss(sigma: f32) -> [usize; 3] {
    let n = 3.0f32;
    let ideal = (12.0 * sigma * sigma / n + 1.0).sqrt();
    let mut wl = ideal.floor() as i64;
    if wl % 2 == 0 {
        wl -= 1;
    }
    let wl = wl.max(1);
    let wu = wl + 2;
    let m_ideal = (12.0 * sigma * sigma - n * (wl * wl) as f32 - 4.0 * n * wl as f32 - 3.0 * n) / (-4.0 * wl as f32 - 4.0);
    let m = m_ideal.round() as i64;
    let mut out = [0usize; 3];
    for (i, w) in out.iter_mut().enumerate() {
        *w = if (i as i64) < m { wl } else { wu } as usize;
    }
    out
}

/// Gaussian-like blur of standard deviation `sigma` (pixels) over `region`
/// (clipped to the image). Edges repeat the border pixels.
pub fn blur(img: &mut RgbaImage, region: Rect, sigma: f32) {
    if !(sigma > 0.0) {
        return;
    }
    let r = region.clamp_to(img.width(), img.height());
    if r.is_empty() {
        return;
    }
    let width = img.width() as usize;
    let boxes = boxes_for_gauss(sigma);
    let mut line = Vec::new();
    let mut tmp = Vec::new();
    // Rows.
    for y in r.y as usize..(r.y + r.h) as usize {
        let start = (y * width + r.x as usize) * 4;
        let slice = &mut img.data_mut()[start..start + r.w as usize * 4];
        for &b in &boxes {
            box_pass(slice, 4, r.w as usize, b / 2, &mut tmp);
        }
    }
    // Columns: gather into a contiguous line, blur, scatter.
    for x in r.x as usize..(r.x + r.w) as usize {
        line.clear();
        for y in r.y as usize..(r.y + r.h) as usize {
            let i = (y * width + x) * 4;
            line.extend_from_slice(&img.data()[i..i + 4]);
        }
        for &b in &boxes {
            box_pass(&mut line, 4, r.h as usize, b / 2, &mut tmp);
        }
        for (k, y) in (r.y as usize..(r.y + r.h) as usize).enumerate() {
            let i = (y * width + x) * 4;
            img.data_mut()[i..i + 4].copy_from_slice(&line[k * 4..k * 4 + 4]);
        }
    }
}

/// One box blur of half-width `radius` along `n` pixels of `stride`
/// interleaved channels, clamping at the ends.
fn box_pass(data: &mut [u8], channels: usize, n: usize, radius: usize, tmp: &mut Vec<u8>) {
    if radius == 0 || n == 0 {
        return;
    }
    tmp.clear();
    tmp.extend_from_slice(data);
    let window = (2 * radius + 1) as u32;
    let at = |i: isize, c: usize, src: &[u8]| -> u32 { u32::from(src[(i.clamp(0, n as isize - 1) as usize) * channels + c]) };
    for c in 0..channels {
        let mut sum: u32 = (-(radius as isize)..=radius as isize).map(|i| at(i, c, tmp)).sum();
        for i in 0..n {
            data[i * channels + c] = ((sum + window / 2) / window) as u8;
            sum += at(i as isize + radius as isize + 1, c, tmp);
            sum -= at(i as isize - radius as isize, c, tmp);
        }
    }
}

/// Unsharp mask: adds `amount` times the detail a blur of `sigma` removes.
pub fn sharpen(img: &mut RgbaImage, amount: f32, sigma: f32) {
    if !(amount > 0.0) {
        return;
    }
    let mut blurred = img.clone();
    let whole = Rect { x: 0, y: 0, w: img.width(), h: img.height() };
    blur(&mut blurred, whole, sigma);
    for (p, b) in img.data_mut().chunks_exact_mut(4).zip(blurred.data().chunks_exact(4)) {
        for c in 0..3 {
            let v = f32::from(p[c]) + amount * (f32::from(p[c]) - f32::from(b[c]));
            p[c] = v.round().clamp(0.0, 255.0) as u8;
        }
    }
}

/// Whether [`adjust`] with these factors leaves every pixel as it is.
pub fn is_identity(brightness: f32, contrast: f32, gamma: f32, saturation: f32) -> bool {
    let identity = |v: f32| (v - 1.0).abs() < 1e-6;
    identity(brightness) && identity(contrast) && identity(gamma) && identity(saturation)
}

/// Colour adjustments as Cloudflare defines them, 1.0 meaning no change:
/// `brightness` scales values, `contrast` scales the distance from mid-grey,
/// `gamma` raises to `1/gamma`, `saturation` scales the distance from the
/// pixel's luma (0 is greyscale).
pub fn adjust(img: &mut RgbaImage, brightness: f32, contrast: f32, gamma: f32, saturation: f32) {
    if is_identity(brightness, contrast, gamma, saturation) {
        return;
    }
    let mut lut = [0u8; 256];
    for (i, out) in lut.iter_mut().enumerate() {
        let mut v = i as f32 / 255.0 * brightness;
        v = (v - 0.5) * contrast + 0.5;
        v = v.clamp(0.0, 1.0);
        if gamma > 0.0 {
            v = v.powf(1.0 / gamma);
        }
        *out = (v * 255.0).round().clamp(0.0, 255.0) as u8;
    }
    for p in img.data_mut().chunks_exact_mut(4) {
        let (r, g, b) = (lut[usize::from(p[0])], lut[usize::from(p[1])], lut[usize::from(p[2])]);
        if (saturation - 1.0).abs() < 1e-6 {
            p[0] = r;
            p[1] = g;
            p[2] = b;
            continue;
        }
        let luma = 0.299 * f32::from(r) + 0.587 * f32::from(g) + 0.114 * f32::from(b);
        for (c, v) in [r, g, b].into_iter().enumerate() {
            p[c] = (luma + (f32::from(v) - luma) * saturation).round().clamp(0.0, 255.0) as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(img: &RgbaImage) -> Rect {
        Rect { x: 0, y: 0, w: img.width(), h: img.height() }
    }

    #[test]
    fn box_widths_match_the_requested_sigma() {
        for sigma in [0.5f32, 1.0, 2.0, 5.0, 30.0, 75.0] {
            let boxes = boxes_for_gauss(sigma);
            // The variance of a box of width w is (w^2 - 1) / 12; they add.
            let var: f32 = boxes.iter().map(|&w| ((w * w) as f32 - 1.0) / 12.0).sum();
            assert!((var.sqrt() - sigma).abs() < 0.6, "sigma {sigma}: boxes {boxes:?} give {}", var.sqrt());
        }
    }

    #[test]
    fn blur_keeps_flat_images_flat_and_spreads_an_impulse_symmetrically() {
        let mut flat = RgbaImage::filled(30, 20, [40, 80, 120, 255]);
        let r = whole(&flat);
        blur(&mut flat, r, 4.0);
        assert!(flat.data().chunks(4).all(|p| p == [40, 80, 120, 255]));

        let mut dot = RgbaImage::filled(41, 41, [0, 0, 0, 255]);
        let centre = (20 * 41 + 20) * 4;
        dot.data_mut()[centre] = 255;
        let r = whole(&dot);
        blur(&mut dot, r, 3.0);
        let at = |x: usize, y: usize| dot.data()[(y * 41 + x) * 4];
        assert!(at(20, 20) > at(22, 20) && at(22, 20) > at(26, 20), "{} {} {}", at(20, 20), at(22, 20), at(26, 20));
        assert_eq!(at(19, 20), at(21, 20));
        assert_eq!(at(20, 19), at(20, 21));
        assert_eq!(at(0, 0), 0);
    }

    #[test]
    fn blur_stays_inside_its_region() {
        let mut img = RgbaImage::filled(20, 20, [0, 0, 0, 255]);
        for y in 0..20 {
            for x in 10..20 {
                img.data_mut()[(y * 20 + x) * 4] = 255;
            }
        }
        let before = img.clone();
        blur(&mut img, Rect { x: 0, y: 0, w: 12, h: 20 }, 3.0);
        for y in 0..20usize {
            for x in 12..20usize {
                assert_eq!(img.data()[(y * 20 + x) * 4], before.data()[(y * 20 + x) * 4]);
            }
        }
        assert_ne!(img.data()[(5 * 20 + 9) * 4], 0, "the region blurred");
    }

    #[test]
    fn adjustments_are_identity_at_one_and_saturation_zero_is_grey() {
        let mut img = RgbaImage::from_vec(2, 1, vec![200, 100, 50, 255, 10, 20, 30, 128]).unwrap();
        let orig = img.clone();
        adjust(&mut img, 1.0, 1.0, 1.0, 1.0);
        assert_eq!(img, orig);
        adjust(&mut img, 1.0, 1.0, 1.0, 0.0);
        assert!(img.data()[0] == img.data()[1] && img.data()[1] == img.data()[2]);
        assert_eq!(img.data()[7], 128, "alpha untouched");
        let mut dark = orig.clone();
        adjust(&mut dark, 0.5, 1.0, 1.0, 1.0);
        assert_eq!(dark.data()[0], 100);
    }
}

/// Kernels longer than this run on a downscaled copy of the region (see
/// [`gaussian`]).
pub const MAX_DIRECT_KERNEL: u32 = 41;

/// A gaussian blur of `region` (clipped to the image) with a `kernel`-tap
/// kernel (odd, at least 1) of standard deviation `sigma`, as OpenCV's
/// `GaussianBlur` applies it to a region of interest: only the region's
/// pixels are read, its borders reflect without repeating the edge
/// (`BORDER_REFLECT_101`).
///
/// Separable and integer: 14-bit fixed-point weights, a horizontal pass
/// into 16-bit intermediates kept in a ring of `kernel` rows, then a
/// vertical pass along whole rows (contiguous memory). Kernels longer than
/// [`MAX_DIRECT_KERNEL`] blur a copy of the region shrunk by an integer
/// factor (area average) with the kernel and sigma shrunk alike, then
/// scaled back up (bilinear): such blurs leave no detail a full-size pass
/// would keep, at a fraction of the cost.
pub fn gaussian(img: &mut RgbaImage, region: Rect, kernel: u32, sigma: f32) {
    let r = region.clamp_to(img.width(), img.height());
    if r.is_empty() || kernel < 3 || !(sigma > 0.0) {
        return;
    }
    let kernel = kernel | 1;
    let whole = r.w == img.width() && r.h == img.height();
    if kernel <= MAX_DIRECT_KERNEL {
        // At most the image, the region and its blurred copy are alive.
        if whole {
            *img = gaussian_direct(img, kernel, sigma);
        } else {
            let roi = crate::transform::resample::extract(img, r);
            paste(img, &gaussian_direct(&roi, kernel, sigma), r);
        }
        return;
    }
    let factor = kernel.div_ceil(MAX_DIRECT_KERNEL);
    let small = if whole { shrink(img, factor) } else { shrink(&crate::transform::resample::extract(img, r), factor) };
    let k = ((kernel / factor) | 1).max(3);
    let blurred = gaussian_direct(&small, k, sigma / factor as f32);
    drop(small);
    let back = enlarge(&blurred, r.w, r.h);
    if whole {
        *img = back;
    } else {
        paste(img, &back, r);
    }
}

/// Integer weights summing to 2^14, from the sampled gaussian (the
/// rounding remainder goes to the centre tap).
fn weights(kernel: u32, sigma: f32) -> Vec<u32> {
    let half = (kernel / 2) as i64;
    let raw: Vec<f64> = (-half..=half).map(|i| (-(i * i) as f64 / (2.0 * f64::from(sigma) * f64::from(sigma))).exp()).collect();
    let sum: f64 = raw.iter().sum();
    let mut w: Vec<u32> = raw.iter().map(|v| (v / sum * 16384.0).round() as u32).collect();
    let total: u32 = w.iter().sum();
    let centre = half as usize;
    w[centre] = (i64::from(w[centre]) + 16384 - i64::from(total)).max(0) as u32;
    w
}

/// OpenCV's `BORDER_REFLECT_101` index into `0..n`.
fn reflect(mut i: i64, n: i64) -> usize {
    if n == 1 {
        return 0;
    }
    loop {
        if i < 0 {
            i = -i;
        } else if i >= n {
            i = 2 * n - 2 - i;
        } else {
            return i as usize;
        }
    }
}

fn gaussian_direct(img: &RgbaImage, kernel: u32, sigma: f32) -> RgbaImage {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let weights = weights(kernel, sigma);
    let half = (kernel / 2) as i64;
    let cols: Vec<Vec<usize>> = (0..w as i64).map(|x| (-half..=half).map(|d| reflect(x + d, w as i64)).collect()).collect();
    // Horizontal pass of one source row into 8.8 fixed point.
    let horizontal = |src: &[u8], out: &mut [u16]| {
        for (x, taps) in cols.iter().enumerate() {
            let mut acc = [0u32; 4];
            for (&sx, &wt) in taps.iter().zip(&weights) {
                let p = &src[sx * 4..sx * 4 + 4];
                for c in 0..4 {
                    acc[c] += wt * u32::from(p[c]);
                }
            }
            for c in 0..4 {
                out[x * 4 + c] = ((acc[c] + 32) >> 6) as u16;
            }
        }
    };
    let ring_len = (kernel as usize).min(h);
    let mut ring = vec![0u16; ring_len * w * 4];
    let mut slot_of = vec![usize::MAX; ring_len];
    let src = img.data();
    let mut dst = vec![0u8; src.len()];
    let mut acc = vec![0u32; w * 4];
    for y in 0..h as i64 {
        acc.iter_mut().for_each(|a| *a = 0);
        for (d, &wt) in (-half..=half).zip(&weights) {
            let sy = reflect(y + d, h as i64);
            let slot = sy % ring_len;
            if slot_of[slot] != sy {
                horizontal(&src[sy * w * 4..(sy + 1) * w * 4], &mut ring[slot * w * 4..(slot + 1) * w * 4]);
                slot_of[slot] = sy;
            }
            for (a, &v) in acc.iter_mut().zip(&ring[slot * w * 4..(slot + 1) * w * 4]) {
                *a += wt * u32::from(v);
            }
        }
        let row = &mut dst[y as usize * w * 4..(y as usize + 1) * w * 4];
        for (o, &a) in row.iter_mut().zip(&acc) {
            *o = ((a + (1 << 21)) >> 22).min(255) as u8;
        }
    }
    RgbaImage::from_vec(img.width(), img.height(), dst).unwrap_or_else(|_| img.clone())
}

/// Area average by an integer `factor` (edge cells average what they hold).
fn shrink(img: &RgbaImage, factor: u32) -> RgbaImage {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let f = factor.max(1) as usize;
    let (sw, sh) = (w.div_ceil(f), h.div_ceil(f));
    let mut out = Vec::with_capacity(sw * sh * 4);
    // Per block row: channel sums per block, a source row at a time.
    let mut sums = vec![0u32; sw * 4];
    for rows in img.data().chunks(w * 4 * f) {
        sums.iter_mut().for_each(|s| *s = 0);
        for row in rows.chunks_exact(w * 4) {
            for (block, px) in sums.chunks_exact_mut(4).zip(row.chunks(f * 4)) {
                for p in px.chunks_exact(4) {
                    for c in 0..4 {
                        block[c] += u32::from(p[c]);
                    }
                }
            }
        }
        let n_rows = (rows.len() / (w * 4)) as u32;
        for (bx, block) in sums.chunks_exact(4).enumerate() {
            let n = ((w - bx * f).min(f) as u32 * n_rows).max(1);
            out.extend(block.iter().map(|&s| ((s + n / 2) / n) as u8));
        }
    }
    RgbaImage::from_vec(sw as u32, sh as u32, out).unwrap_or_else(|_| img.clone())
}

/// Where output sample `i` of `n_out` falls on `n_in` samples (pixel
/// centres aligned): the two neighbours and the second one's weight in
/// 1/256.
fn bilinear_taps(i: usize, n_out: usize, n_in: usize) -> (usize, usize, u32) {
    let f = ((i as f32 + 0.5) * n_in as f32 / n_out as f32 - 0.5).clamp(0.0, (n_in - 1) as f32);
    let i0 = f as usize;
    let t = ((f - i0 as f32) * 256.0 + 0.5) as u32;
    (i0, (i0 + 1).min(n_in - 1), t.min(256))
}

/// Bilinear enlargement to `w x h` (pixel centres aligned), in 8-bit
/// fixed point: each output row interpolates two source rows, then each
/// pixel two columns of that.
fn enlarge(img: &RgbaImage, w: u32, h: u32) -> RgbaImage {
    let (sw, sh) = (img.width() as usize, img.height() as usize);
    let (w, h) = (w as usize, h as usize);
    let src = img.data();
    let cols: Vec<(usize, usize, u32)> = (0..w)
        .map(|x| {
            let (a, b, t) = bilinear_taps(x, w, sw);
            (a * 4, b * 4, t)
        })
        .collect();
    let mut out = vec![0u8; w * h * 4];
    let mut mixed = vec![0u32; sw * 4];
    for (y, dst) in out.chunks_exact_mut(w * 4).enumerate() {
        let (y0, y1, ty) = bilinear_taps(y, h, sh);
        let (r0, r1) = (&src[y0 * sw * 4..(y0 + 1) * sw * 4], &src[y1 * sw * 4..(y1 + 1) * sw * 4]);
        for ((m, &a), &b) in mixed.iter_mut().zip(r0).zip(r1) {
            *m = u32::from(a) * (256 - ty) + u32::from(b) * ty;
        }
        for (px, &(a, b, t)) in dst.chunks_exact_mut(4).zip(&cols) {
            for c in 0..4 {
                px[c] = ((mixed[a + c] * (256 - t) + mixed[b + c] * t + (1 << 15)) >> 16) as u8;
            }
        }
    }
    RgbaImage::from_vec(w as u32, h as u32, out).unwrap_or_else(|_| img.clone())
}

/// Copies `part` into `img` at `r`'s corner.
fn paste(img: &mut RgbaImage, part: &RgbaImage, r: Rect) {
    let width = img.width() as usize;
    let row = part.width() as usize * 4;
    for (k, line) in part.data().chunks_exact(row).enumerate() {
        let start = ((r.y as usize + k) * width + r.x as usize) * 4;
        img.data_mut()[start..start + row].copy_from_slice(line);
    }
}

/// Fills `region` (clipped) with `color`.
pub fn fill(img: &mut RgbaImage, region: Rect, color: [u8; 4]) {
    let r = region.clamp_to(img.width(), img.height());
    let width = img.width() as usize;
    for y in r.y as usize..(r.y + r.h) as usize {
        let start = (y * width + r.x as usize) * 4;
        for px in img.data_mut()[start..start + r.w as usize * 4].chunks_exact_mut(4) {
            px.copy_from_slice(&color);
        }
    }
}

#[cfg(test)]
mod gaussian_tests {
    use super::*;

    /// A direct 2-D convolution in f64 with the same sampled, normalised
    /// kernel and reflect-101 borders: the reference.
    fn reference(img: &RgbaImage, kernel: u32, sigma: f32) -> Vec<f64> {
        let (w, h) = (img.width() as i64, img.height() as i64);
        let half = (kernel / 2) as i64;
        let g: Vec<f64> = (-half..=half).map(|i| (-(i * i) as f64 / (2.0 * f64::from(sigma).powi(2))).exp()).collect();
        let s: f64 = g.iter().sum();
        let g: Vec<f64> = g.iter().map(|v| v / s).collect();
        let mut out = vec![0.0; (w * h * 4) as usize];
        for y in 0..h {
            for x in 0..w {
                for c in 0..4 {
                    let mut acc = 0.0;
                    for (dy, gy) in (-half..=half).zip(&g) {
                        for (dx, gx) in (-half..=half).zip(&g) {
                            let (sx, sy) = (reflect(x + dx, w), reflect(y + dy, h));
                            acc += gy * gx * f64::from(img.data()[(sy * w as usize + sx) * 4 + c]);
                        }
                    }
                    out[((y * w + x) * 4) as usize + c] = acc;
                }
            }
        }
        out
    }

    fn noise(w: u32, h: u32) -> RgbaImage {
        let mut state = 0x2545_f491_u32;
        let data = (0..w * h * 4)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state >> 24) as u8
            })
            .collect();
        RgbaImage::from_vec(w, h, data).unwrap()
    }

    #[test]
    fn matches_a_float_reference_within_one_level() {
        for (w, h, k, sigma) in [(40, 30, 23, 30.0), (37, 41, 31, 5.0), (64, 20, 7, 1.2), (9, 50, 31, 50.0)] {
            let src = noise(w, h);
            let want = reference(&src, k, sigma);
            let mut got = src.clone();
            gaussian(&mut got, Rect { x: 0, y: 0, w, h }, k, sigma);
            let worst = got.data().iter().zip(&want).map(|(&g, &r)| (f64::from(g) - r).abs()).fold(0.0, f64::max);
            assert!(worst <= 1.0, "{w}x{h} k={k} sigma={sigma}: off by {worst}");
        }
    }

    #[test]
    fn only_the_region_changes() {
        let src = noise(60, 40);
        let mut got = src.clone();
        let region = Rect { x: 10, y: 5, w: 30, h: 20 };
        gaussian(&mut got, region, 99, 75.0);
        for y in 0..40u32 {
            for x in 0..60u32 {
                let i = ((y * 60 + x) * 4) as usize;
                let inside = (10..40).contains(&x) && (5..25).contains(&y);
                if !inside {
                    assert_eq!(got.data()[i..i + 4], src.data()[i..i + 4], "({x},{y}) outside changed");
                }
            }
        }
        // Inside, noise is flattened towards its mean.
        let spread = |img: &RgbaImage| {
            let v: Vec<f64> = (5..25u32).flat_map(|y| (10..40u32).map(move |x| (y, x))).map(|(y, x)| f64::from(img.data()[((y * 60 + x) * 4) as usize])).collect();
            let m = v.iter().sum::<f64>() / v.len() as f64;
            (v.iter().map(|a| (a - m).powi(2)).sum::<f64>() / v.len() as f64).sqrt()
        };
        assert!(spread(&got) < spread(&src) / 5.0, "{} vs {}", spread(&got), spread(&src));
    }

    #[test]
    fn large_kernels_go_through_a_smaller_copy_and_stay_close() {
        // A smooth image: the shortcut must agree with the direct pass.
        let data = (0..120 * 90).flat_map(|i| {
            let (x, y) = ((i % 120) as f32, (i / 120) as f32);
            [(x * 2.0) as u8, (y * 2.5) as u8, ((x + y) as u8).wrapping_mul(1), 255]
        });
        let src = RgbaImage::from_vec(120, 90, data.collect()).unwrap();
        let direct = gaussian_direct(&src, 61, 20.0);
        let mut fast = src.clone();
        gaussian(&mut fast, Rect { x: 0, y: 0, w: 120, h: 90 }, 61, 20.0);
        let mean_diff = fast.data().iter().zip(direct.data()).map(|(a, b)| f64::from(a.abs_diff(*b))).sum::<f64>() / fast.data().len() as f64;
        assert!(mean_diff < 2.0, "mean difference {mean_diff}");
    }

    #[test]
    fn fill_paints_the_clipped_region() {
        let mut img = RgbaImage::filled(4, 4, [1, 2, 3, 255]);
        fill(&mut img, Rect { x: 2, y: 2, w: 9, h: 9 }, [0, 0, 0, 255]);
        assert_eq!(img.data()[..4], [1, 2, 3, 255]);
        assert_eq!(img.data()[(3 * 4 + 3) * 4..], [0, 0, 0, 255]);
    }
}
