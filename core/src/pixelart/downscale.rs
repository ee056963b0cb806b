//! Area-averaging downscale with premultiplied alpha, then crisp alpha.

use crate::pixel::RgbaImage;

/// The sprite size for a `w` x `h` subject at `height`: the aspect ratio
/// kept, the width at most twice the height (a wider subject gets a
/// smaller height instead), each side at least 1.
pub fn target_size(w: u32, h: u32, height: u32) -> (u32, u32) {
    let (w, h, height) = (u64::from(w.max(1)), u64::from(h.max(1)), u64::from(height.max(1)));
    let mut tw = (w * height * 2 + h) / (2 * h);
    let mut th = height;
    if tw > 2 * height {
        tw = 2 * height;
        th = (h * tw * 2 + w) / (2 * w);
    }
    (tw.max(1) as u32, th.max(1) as u32)
}

/// Each output index's source pixels and their coverage weights (summing
/// to 1) when `src` pixels are averaged into `dst`.
fn weights(src: usize, dst: usize) -> Vec<Vec<(usize, f64)>> {
    let scale = src as f64 / dst as f64;
    (0..dst)
        .map(|o| {
            let (lo, hi) = (o as f64 * scale, (o + 1) as f64 * scale);
            let first = lo.floor() as usize;
            let last = (hi.ceil() as usize).min(src);
            (first..last).map(|i| (i, ((i + 1) as f64).min(hi) - (i as f64).max(lo))).filter(|&(_, c)| c > 0.0).map(|(i, c)| (i, c / scale)).collect()
        })
        .collect()
}

/// Area-averages `img` to `w` x `h`: each output pixel is the
/// coverage-weighted mean of the source pixels under it, colour weighted
/// by alpha (premultiplied), so transparent pixels give no colour.
/// Returns premultiplied `[r, g, b, a]` (alpha in 0..=1, colour 0..=255
/// times alpha), row-major.
pub fn area_average(img: &RgbaImage, w: u32, h: u32) -> Vec<[f64; 4]> {
    let (sw, sh) = (img.width() as usize, img.height() as usize);
    let (w, h) = (w as usize, h as usize);
    if sw == 0 || sh == 0 || w == 0 || h == 0 {
        return vec![[0.0; 4]; w * h];
    }
    let (wx, wy) = (weights(sw, w), weights(sh, h));
    let data = img.data();
    // Horizontal pass: sh rows of w premultiplied pixels.
    let mut rows = vec![[0.0f64; 4]; sh * w];
    for y in 0..sh {
        for (x, taps) in wx.iter().enumerate() {
            let mut acc = [0.0; 4];
            for &(sx, c) in taps {
                let p = &data[(y * sw + sx) * 4..(y * sw + sx) * 4 + 4];
                let a = f64::from(p[3]) / 255.0;
                let k = c * a;
                acc[0] += k * f64::from(p[0]);
                acc[1] += k * f64::from(p[1]);
                acc[2] += k * f64::from(p[2]);
                acc[3] += k;
            }
            rows[y * w + x] = acc;
        }
    }
    let mut out = vec![[0.0f64; 4]; w * h];
    for (y, taps) in wy.iter().enumerate() {
        for x in 0..w {
            let mut acc = [0.0; 4];
            for &(sy, c) in taps {
                let p = rows[sy * w + x];
                for k in 0..4 {
                    acc[k] += c * p[k];
                }
            }
            out[y * w + x] = acc;
        }
    }
    out
}

/// Downscales `img` to [`target_size`] at `height` by [`area_average`] and
/// makes the alpha crisp: a pixel at least half covered becomes fully
/// opaque in its un-premultiplied mean colour, any other fully
/// transparent (all zero). Fully transparent border rows and columns are
/// then [`trim`]med, so the result may be a pixel or two smaller (and is
/// 0 x 0 if nothing was half covered).
pub fn downscale(img: &RgbaImage, height: u32) -> RgbaImage {
    trim(&crisp(img, height))
}

/// `img` cropped to the bounding box of its pixels with alpha != 0 (0 x 0
/// if there are none).
pub fn trim(img: &RgbaImage) -> RgbaImage {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let on = |x: usize, y: usize| img.data()[(y * w + x) * 4 + 3] != 0;
    let rows: Vec<usize> = (0..h).filter(|&y| (0..w).any(|x| on(x, y))).collect();
    let cols: Vec<usize> = (0..w).filter(|&x| (0..h).any(|y| on(x, y))).collect();
    let (Some(&y0), Some(&y1), Some(&x0), Some(&x1)) = (rows.first(), rows.last(), cols.first(), cols.last()) else {
        return RgbaImage::filled(0, 0, [0; 4]);
    };
    let data = (y0..=y1).flat_map(|y| img.data()[(y * w + x0) * 4..(y * w + x1 + 1) * 4].iter().copied()).collect();
    RgbaImage::from_vec((x1 - x0 + 1) as u32, (y1 - y0 + 1) as u32, data).unwrap_or_else(|_| RgbaImage::filled(0, 0, [0; 4]))
}

/// [`downscale`] without the trimming.
fn crisp(img: &RgbaImage, height: u32) -> RgbaImage {
    let (w, h) = target_size(img.width(), img.height(), height);
    let avg = area_average(img, w, h);
    let data = avg
        .iter()
        .flat_map(|&[r, g, b, a]| {
            if a >= 0.5 {
                let c = |v: f64| (v / a).round().clamp(0.0, 255.0) as u8;
                [c(r), c(g), c(b), 255]
            } else {
                [0; 4]
            }
        })
        .collect();
    RgbaImage::from_vec(w, h, data).unwrap_or_else(|_| RgbaImage::filled(w, h, [0; 4]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_keep_the_aspect_and_cap_the_width() {
        assert_eq!(target_size(300, 600, 48), (24, 48));
        assert_eq!(target_size(600, 600, 32), (32, 32));
        assert_eq!(target_size(1000, 400, 48), (96, 38));
        assert_eq!(target_size(1, 5000, 48), (1, 48));
        assert_eq!(target_size(5000, 1, 48), (96, 1));
    }

    #[test]
    fn two_by_two_blocks_give_their_means() {
        // A 4x2 image: two 2x2 blocks.
        #[rustfmt::skip]
        let data = vec![
            10, 20, 30, 255,   30, 40, 50, 255,    0, 0, 0, 255,     255, 255, 255, 255,
            50, 60, 70, 255,   70, 80, 90, 255,    255, 0, 0, 255,   0, 0, 255, 255,
        ];
        let img = RgbaImage::from_vec(4, 2, data).unwrap();
        let avg = area_average(&img, 2, 1);
        assert_eq!(avg, vec![[40.0, 50.0, 60.0, 1.0], [127.5, 63.75, 127.5, 1.0]]);
        assert_eq!(downscale(&img, 1).data(), &[40, 50, 60, 255, 128, 64, 128, 255]);
    }

    #[test]
    fn fractional_coverage_is_exact() {
        // 3 px into 2: the middle pixel is split half and half.
        let img = RgbaImage::from_vec(3, 1, vec![0, 0, 0, 255, 90, 90, 90, 255, 180, 180, 180, 255]).unwrap();
        let avg = area_average(&img, 2, 1);
        assert!((avg[0][0] - 30.0).abs() < 1e-9, "{avg:?}"); // (1 * 0 + 0.5 * 90) / 1.5
        assert!((avg[1][0] - 150.0).abs() < 1e-9, "{avg:?}"); // (0.5 * 90 + 1 * 180) / 1.5
    }

    #[test]
    fn transparent_pixels_give_no_colour_and_alpha_is_crisp() {
        // Half the block is transparent red: the result is pure blue, opaque.
        let img = RgbaImage::from_vec(2, 2, vec![255, 0, 0, 0, 0, 0, 255, 255, 255, 0, 0, 0, 0, 0, 255, 255]).unwrap();
        assert_eq!(downscale(&img, 1).data(), &[0, 0, 255, 255]);
        // A quarter covered: transparent.
        let img = RgbaImage::from_vec(2, 2, vec![0, 0, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap();
        assert_eq!(crisp(&img, 1).data(), &[0, 0, 0, 0]);
        assert_eq!(downscale(&img, 1).width(), 0);
        // Half-transparent pixels weigh by their alpha: 0.5 * 0.6 + 0.5 * 0.4
        // is half covered, and the colour is the alpha-weighted mean.
        let img = RgbaImage::from_vec(2, 1, vec![250, 0, 0, 153, 0, 0, 250, 102]).unwrap();
        assert_eq!(target_size(2, 1, 1), (2, 1));
        let avg = area_average(&img, 1, 1);
        assert!((avg[0][3] - 0.5).abs() < 1e-12 && (avg[0][0] / avg[0][3] - 150.0).abs() < 1e-9, "{avg:?}");
    }

    #[test]
    fn no_half_transparent_pixel_on_a_soft_edged_disc() {
        let (w, h) = (97u32, 131u32);
        let data = (0..h)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .flat_map(|(x, y)| {
                let d = ((x as f64 - 48.0).powi(2) + (y as f64 - 65.0).powi(2)).sqrt();
                [x as u8, y as u8, 77, (255.0 * (50.0 - d).clamp(0.0, 1.0)) as u8]
            })
            .collect();
        let out = crisp(&RgbaImage::from_vec(w, h, data).unwrap(), 32);
        assert_eq!((out.width(), out.height()), (24, 32));
        assert!(out.data().chunks_exact(4).all(|p| p[3] == 0 || p[3] == 255));
        assert!(out.data().chunks_exact(4).all(|p| p[3] == 255 || p == [0, 0, 0, 0]));
        assert!(out.data().chunks_exact(4).filter(|p| p[3] == 255).count() > 24 * 32 / 2);
    }

    #[test]
    fn trims_transparent_borders() {
        let mut img = RgbaImage::filled(5, 4, [0; 4]);
        img.data_mut()[(1 * 5 + 2) * 4..(1 * 5 + 2) * 4 + 4].copy_from_slice(&[1, 2, 3, 255]);
        img.data_mut()[(2 * 5 + 3) * 4..(2 * 5 + 3) * 4 + 4].copy_from_slice(&[4, 5, 6, 255]);
        let t = trim(&img);
        assert_eq!((t.width(), t.height()), (2, 2));
        assert_eq!(t.data(), &[1, 2, 3, 255, 0, 0, 0, 0, 0, 0, 0, 0, 4, 5, 6, 255]);
        assert_eq!(trim(&RgbaImage::filled(3, 3, [0; 4])).width(), 0);
        // A thin diagonal line is nowhere half covered at a tenth the size.
        let line = RgbaImage::from_vec(100, 100, (0..100 * 100).flat_map(|i| if i % 100 == i / 100 { [9, 9, 9, 255] } else { [0; 4] }).collect()).unwrap();
        assert_eq!(downscale(&line, 10).width(), 0);
    }
}
