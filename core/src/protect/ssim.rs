//! Structural similarity (SSIM, Wang et al. 2004) between two RGBA images,
//! the measure protected viewing keeps between 0.95 and 0.98.
//!
//! It is computed on luma `Y = 0.299 R + 0.587 G + 0.114 B` (f64, alpha
//! ignored) as scikit-image's `structural_similarity(gaussian_weights=True,
//! sigma=1.5, use_sample_covariance=False, data_range=255)` computes it: the
//! five local statistics (means, variances, covariance) come from an 11x11
//! Gaussian window of sigma 1.5 (normalised weights), applied separably;
//! only windows lying wholly inside the image count (skimage crops 5 px of
//! border), and the result is the mean of the SSIM map, with
//! `C1 = (0.01 * 255)^2` and `C2 = (0.03 * 255)^2`. Images under 11 px in a
//! side use the whole image's statistics as one window.
//!
//! Rows are filtered as they are read and kept in a ring of 11, so memory is
//! `O(width)`, not five full-size maps.

use crate::pixel::{PixelError, RgbaImage};

const RADIUS: usize = 5;
const WIN: usize = 2 * RADIUS + 1;
const SIGMA: f64 = 1.5;
const C1: f64 = (0.01 * 255.0) * (0.01 * 255.0);
const C2: f64 = (0.03 * 255.0) * (0.03 * 255.0);

/// The mean SSIM of two `width` x `height` RGBA buffers, in `[-1, 1]`
/// (1 when identical). An empty image counts as identical.
pub fn ssim(a: &[u8], b: &[u8], width: u32, height: u32) -> Result<f64, PixelError> {
    let expected = width as usize * height as usize * 4;
    for buf in [a, b] {
        if buf.len() != expected {
            return Err(PixelError::BufferSize { width, height, expected, actual: buf.len() });
        }
    }
    let (w, h) = (width as usize, height as usize);
    if w == 0 || h == 0 {
        return Ok(1.0);
    }
    if w < WIN || h < WIN {
        return Ok(whole(a, b));
    }
    Ok(windowed(a, b, w, h))
}

/// [`ssim`] of two images, which must have the same size.
pub fn ssim_images(a: &RgbaImage, b: &RgbaImage) -> Result<f64, PixelError> {
    if (a.width(), a.height()) != (b.width(), b.height()) {
        let expected = a.width() as usize * a.height() as usize * 4;
        return Err(PixelError::BufferSize { width: a.width(), height: a.height(), expected, actual: b.data().len() });
    }
    ssim(a.data(), b.data(), a.width(), a.height())
}

#[inline]
fn luma(p: &[u8]) -> f64 {
    0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2])
}

#[inline]
fn formula(mx: f64, my: f64, vx: f64, vy: f64, cxy: f64) -> f64 {
    ((2.0 * mx * my + C1) * (2.0 * cxy + C2)) / ((mx * mx + my * my + C1) * (vx + vy + C2))
}

/// The normalised 11-tap Gaussian of sigma 1.5.
fn weights() -> [f64; WIN] {
    let mut g = [0.0; WIN];
    for (i, v) in g.iter_mut().enumerate() {
        let x = i as f64 - RADIUS as f64;
        *v = (-0.5 * x * x / (SIGMA * SIGMA)).exp();
    }
    let sum: f64 = g.iter().sum();
    g.map(|v| v / sum)
}

/// One window over the whole image (for images under 11 px in a side).
fn whole(a: &[u8], b: &[u8]) -> f64 {
    let n = (a.len() / 4) as f64;
    let (mut sx, mut sy) = (0.0, 0.0);
    for (p, q) in a.chunks_exact(4).zip(b.chunks_exact(4)) {
        sx += luma(p);
        sy += luma(q);
    }
    let (mx, my) = (sx / n, sy / n);
    let (mut vx, mut vy, mut cxy) = (0.0, 0.0, 0.0);
    for (p, q) in a.chunks_exact(4).zip(b.chunks_exact(4)) {
        let (dx, dy) = (luma(p) - mx, luma(q) - my);
        vx += dx * dx;
        vy += dy * dy;
        cxy += dx * dy;
    }
    formula(mx, my, vx / n, vy / n, cxy / n)
}

/// The Gaussian-windowed mean SSIM over the valid region (`w`, `h` >= 11).
fn windowed(a: &[u8], b: &[u8], w: usize, h: usize) -> f64 {
    let g = weights();
    let ow = w - 2 * RADIUS;
    // ring[r][k][j]: row r of the ring, statistic k (x, y, xx, yy, xy),
    // horizontally filtered at output column j.
    let mut ring = vec![[0.0f64; 5]; WIN * ow];
    let (mut ya, mut yb) = (vec![0.0f64; w], vec![0.0f64; w]);
    let mut total = 0.0;
    for y in 0..h {
        let row = &a[y * w * 4..(y + 1) * w * 4];
        for (v, p) in ya.iter_mut().zip(row.chunks_exact(4)) {
            *v = luma(p);
        }
        let row = &b[y * w * 4..(y + 1) * w * 4];
        for (v, p) in yb.iter_mut().zip(row.chunks_exact(4)) {
            *v = luma(p);
        }
        let slot = &mut ring[(y % WIN) * ow..(y % WIN + 1) * ow];
        for (j, acc) in slot.iter_mut().enumerate() {
            let mut s = [0.0f64; 5];
            for (i, &gi) in g.iter().enumerate() {
                let (x, z) = (ya[j + i], yb[j + i]);
                s[0] += gi * x;
                s[1] += gi * z;
                s[2] += gi * x * x;
                s[3] += gi * z * z;
                s[4] += gi * x * z;
            }
            *acc = s;
        }
        if y + 1 < WIN {
            continue;
        }
        // Rows y-10..=y are in the ring: one output row.
        let top = y + 1 - WIN;
        for j in 0..ow {
            let mut s = [0.0f64; 5];
            for (i, &gi) in g.iter().enumerate() {
                let r = &ring[((top + i) % WIN) * ow + j];
                for k in 0..5 {
                    s[k] += gi * r[k];
                }
            }
            let (mx, my) = (s[0], s[1]);
            total += formula(mx, my, s[2] - mx * mx, s[3] - my * my, s[4] - mx * my);
        }
    }
    total / (ow * (h - 2 * RADIUS)) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texture(w: u32, h: u32, phase: f64) -> Vec<u8> {
        let mut v = Vec::new();
        for y in 0..h {
            for x in 0..w {
                let (fx, fy) = (f64::from(x), f64::from(y));
                let r = 128.0 + 90.0 * (fx * 0.31 + phase).sin() * (fy * 0.17).cos();
                let g = 100.0 + 60.0 * (fx * 0.05 + fy * 0.11 + phase).sin();
                let b = (fx * 7.0 + fy * 3.0) % 256.0;
                v.extend([r as u8, g as u8, b as u8, 255]);
            }
        }
        v
    }

    /// A direct, unoptimised reference: full 2-D Gaussian window per pixel.
    #[allow(clippy::needless_range_loop)]
    fn naive(a: &[u8], b: &[u8], w: usize, h: usize) -> f64 {
        let mut g2 = [[0.0f64; 11]; 11];
        let mut sum = 0.0;
        for (i, row) in g2.iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                let (di, dj) = (i as f64 - 5.0, j as f64 - 5.0);
                *v = (-(di * di + dj * dj) / (2.0 * 1.5 * 1.5)).exp();
                sum += *v;
            }
        }
        let y = |buf: &[u8], x: usize, yy: usize| {
            let p = &buf[(yy * w + x) * 4..];
            0.299 * p[0] as f64 + 0.587 * p[1] as f64 + 0.114 * p[2] as f64
        };
        let mut total = 0.0;
        let mut count = 0.0;
        for cy in 5..h - 5 {
            for cx in 5..w - 5 {
                let (mut mx, mut my, mut xx, mut yy2, mut xy) = (0.0, 0.0, 0.0, 0.0, 0.0);
                for i in 0..11 {
                    for j in 0..11 {
                        let wgt = g2[i][j] / sum;
                        let (p, q) = (y(a, cx + j - 5, cy + i - 5), y(b, cx + j - 5, cy + i - 5));
                        mx += wgt * p;
                        my += wgt * q;
                        xx += wgt * p * p;
                        yy2 += wgt * q * q;
                        xy += wgt * p * q;
                    }
                }
                let c1 = (0.01f64 * 255.0).powi(2);
                let c2 = (0.03f64 * 255.0).powi(2);
                let (vx, vy, cxy) = (xx - mx * mx, yy2 - my * my, xy - mx * my);
                total += ((2.0 * mx * my + c1) * (2.0 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
                count += 1.0;
            }
        }
        total / count
    }

    #[test]
    fn identical_images_score_one() {
        let a = texture(40, 30, 0.0);
        assert!((ssim(&a, &a, 40, 30).unwrap() - 1.0).abs() < 1e-12);
        assert!((ssim(&a[..5 * 7 * 4], &a[..5 * 7 * 4], 5, 7).unwrap() - 1.0).abs() < 1e-12);
        assert_eq!(ssim(&[], &[], 0, 5).unwrap(), 1.0);
    }

    #[test]
    fn matches_a_naive_two_dimensional_window() {
        for (w, h) in [(11, 11), (23, 17), (40, 31)] {
            let a = texture(w, h, 0.0);
            let b = texture(w, h, 0.7);
            let got = ssim(&a, &b, w, h).unwrap();
            let want = naive(&a, &b, w as usize, h as usize);
            assert!((got - want).abs() < 1e-9, "{w}x{h}: {got} vs {want}");
            assert!(got < 0.9);
        }
    }

    #[test]
    fn small_images_use_whole_image_statistics() {
        // Two pixels: luma 0 and 100 against 0 and 50.
        let a = [0, 0, 0, 255, 100, 100, 100, 255];
        let b = [0, 0, 0, 255, 50, 50, 50, 255];
        let (mx, my, vx, vy, cxy) = (50.0, 25.0, 2500.0, 625.0, 1250.0);
        let want = ((2.0 * mx * my + C1) * (2.0 * cxy + C2)) / ((mx * mx + my * my + C1) * (vx + vy + C2));
        assert!((ssim(&a, &b, 2, 1).unwrap() - want).abs() < 1e-9);
    }

    #[test]
    fn noise_lowers_it_and_it_is_symmetric() {
        let (w, h) = (64, 48);
        let a = texture(w, h, 0.0);
        let mut b = a.clone();
        let mut c = a.clone();
        let mut state = 12345u32;
        for (i, (pb, pc)) in b.iter_mut().zip(c.iter_mut()).enumerate() {
            if i % 4 == 3 {
                continue;
            }
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let n = (state >> 28) as i32 - 8;
            *pb = (i32::from(*pb) + n / 4).clamp(0, 255) as u8;
            *pc = (i32::from(*pc) + n * 3).clamp(0, 255) as u8;
        }
        let sb = ssim(&a, &b, w, h).unwrap();
        let sc = ssim(&a, &c, w, h).unwrap();
        assert!(sb < 1.0 && sc < sb, "{sb} {sc}");
        assert!((ssim(&b, &a, w, h).unwrap() - sb).abs() < 1e-12);
        assert!((ssim(&c, &a, w, h).unwrap() - sc).abs() < 1e-12);
    }

    #[test]
    fn rejects_mismatched_buffers() {
        assert!(ssim(&[0; 16], &[0; 12], 2, 2).is_err());
        let a = RgbaImage::filled(3, 3, [1; 4]);
        let b = RgbaImage::filled(3, 4, [1; 4]);
        assert!(ssim_images(&a, &b).is_err());
        assert_eq!(ssim_images(&a, &a).unwrap(), 1.0);
    }
}
