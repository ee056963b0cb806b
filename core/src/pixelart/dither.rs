//! Ordered dithering: a 4x4 Bayer pattern added to Oklab lightness before
//! the nearest palette colour is taken.

use super::oklab::{self, Lab};
use super::quantize::nearest;
use crate::pixel::RgbaImage;

/// The 4x4 Bayer matrix (thresholds 0..16).
const BAYER: [[u8; 4]; 4] = [[0, 8, 2, 10], [12, 4, 14, 6], [3, 11, 1, 9], [15, 7, 13, 5]];

/// The lightness offset at `(x, y)` for a pattern of amplitude `spread`:
/// from `-spread / 2` to `+spread / 2`, zero mean over a 4x4 cell.
pub fn offset(x: u32, y: u32, spread: f64) -> f64 {
    (f64::from(BAYER[(y % 4) as usize][(x % 4) as usize]) + 0.5) / 16.0 * spread - spread / 2.0
}

/// The pattern's amplitude for `palette`: the mean lightness step between
/// neighbouring entries, kept within 0.02..=0.1.
pub fn spread(palette: &[Lab]) -> f64 {
    let (lo, hi) = palette.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), c| (lo.min(c[0]), hi.max(c[0])));
    if palette.len() < 2 { 0.02 } else { ((hi - lo) / (palette.len() - 1) as f64).clamp(0.02, 0.1) }
}

/// [`super::quantize::remap`] with ordered dithering: each pixel with
/// alpha != 0 takes the palette colour nearest its colour with the Bayer
/// offset added to its lightness (alpha untouched).
pub fn remap(img: &RgbaImage, palette: &[[u8; 3]]) -> RgbaImage {
    let labs: Vec<Lab> = palette.iter().map(|&c| oklab::from_srgb(c)).collect();
    let mut out = img.clone();
    if labs.is_empty() {
        return out;
    }
    let s = spread(&labs);
    let w = img.width().max(1);
    for (i, p) in out.data_mut().chunks_exact_mut(4).enumerate() {
        if p[3] == 0 {
            continue;
        }
        let (x, y) = (i as u32 % w, i as u32 / w);
        let mut c = oklab::from_srgb([p[0], p[1], p[2]]);
        c[0] += offset(x, y, s);
        p[..3].copy_from_slice(&palette[nearest(c, &labs)]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::quantize;
    use super::super::tests::{distinct_opaque, pet};
    use super::*;

    #[test]
    fn offsets_have_zero_mean_and_stay_in_range() {
        let all: Vec<f64> = (0..4).flat_map(|y| (0..4).map(move |x| offset(x, y, 0.08))).collect();
        assert!(all.iter().sum::<f64>().abs() < 1e-12);
        assert!(all.iter().all(|o| o.abs() < 0.04));
    }

    #[test]
    fn a_mid_grey_between_two_entries_mixes_them() {
        // Grey halfway (in lightness) between black and white dithers to
        // both, about half each.
        let palette = [[0, 0, 0], [255, 255, 255]];
        let mid = oklab::to_srgb([0.5, 0.0, 0.0]);
        let img = RgbaImage::filled(8, 8, [mid[0], mid[1], mid[2], 255]);
        let out = remap(&img, &palette);
        let white = out.data().chunks_exact(4).filter(|p| p[0] == 255).count();
        assert!((24..=40).contains(&white), "{white}");
        assert_eq!(quantize::remap(&img, &palette).data().chunks_exact(4).filter(|p| p[0] == 255).count() % 64, 0);
    }

    #[test]
    fn stays_in_the_palette_and_keeps_alpha() {
        let img = pet(40, 48);
        let q = quantize::quantize(&img, 8, true);
        assert!(distinct_opaque(&q.image).iter().all(|c| q.palette.contains(c)));
        assert!(q.image.data().chunks_exact(4).zip(img.data().chunks_exact(4)).all(|(a, b)| a[3] == b[3]));
        assert_eq!(q, quantize::quantize(&img, 8, true));
    }
}
