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

/// Colour adjustments as Cloudflare defines them, 1.0 meaning no change:
/// `brightness` scales values, `contrast` scales the distance from mid-grey,
/// `gamma` raises to `1/gamma`, `saturation` scales the distance from the
/// pixel's luma (0 is greyscale).
pub fn adjust(img: &mut RgbaImage, brightness: f32, contrast: f32, gamma: f32, saturation: f32) {
    let identity = |v: f32| (v - 1.0).abs() < 1e-6;
    if identity(brightness) && identity(contrast) && identity(gamma) && identity(saturation) {
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
        if identity(saturation) {
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
