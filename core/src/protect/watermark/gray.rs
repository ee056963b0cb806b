//! Grayscale `f32` planes for extraction: luma, box pyramids, area and
//! Lanczos resampling, bilinear sampling. Extraction only; embedding is
//! integer arithmetic on the RGBA buffer itself.

use fast_image_resize::images::{TypedImage, TypedImageRef};
use fast_image_resize::pixels::F32;
use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};

use crate::pixel::RgbaImage;

/// A row-major plane of luma values (0-255 scale).
#[derive(Clone, Debug)]
pub(super) struct Gray {
    pub w: usize,
    pub h: usize,
    pub px: Vec<f32>,
}

impl Gray {
    /// Rec. 601 luma of an RGBA image (alpha ignored).
    pub fn luma(img: &RgbaImage) -> Gray {
        let px = img
            .data()
            .chunks_exact(4)
            .map(|p| 0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2]))
            .collect();
        Gray {
            w: img.width() as usize,
            h: img.height() as usize,
            px,
        }
    }

    /// Half the size by 2x2 box averages; pixel `i` of the result covers
    /// pixels `2i` and `2i + 1` (an odd last row or column is dropped, so
    /// the geometry stays an exact factor of two).
    pub fn halve(&self) -> Gray {
        let (w, h) = (self.w / 2, self.h / 2);
        let mut px = Vec::with_capacity(w * h);
        for y in 0..h {
            let r0 = &self.px[2 * y * self.w..2 * y * self.w + 2 * w];
            let r1 = &self.px[(2 * y + 1) * self.w..(2 * y + 1) * self.w + 2 * w];
            for x in 0..w {
                px.push(0.25 * (r0[2 * x] + r0[2 * x + 1] + r1[2 * x] + r1[2 * x + 1]));
            }
        }
        Gray { w, h, px }
    }

    /// The value at fractional sample position (`x`, `y`) (pixel centres at
    /// integers), bilinearly interpolated; `None` unless
    /// `0 <= x < w - 1` and `0 <= y < h - 1`.
    #[inline]
    pub fn bilinear(&self, x: f64, y: f64) -> Option<f32> {
        if !(x >= 0.0 && y >= 0.0 && x < (self.w as f64 - 1.0) && y < (self.h as f64 - 1.0)) {
            return None;
        }
        let (x0, y0) = (x as usize, y as usize);
        let (fx, fy) = ((x - x0 as f64) as f32, (y - y0 as f64) as f32);
        let i = y0 * self.w + x0;
        let (a, b) = (*self.px.get(i)?, *self.px.get(i + 1)?);
        let (c, d) = (*self.px.get(i + self.w)?, *self.px.get(i + self.w + 1)?);
        let top = a + (b - a) * fx;
        let bottom = c + (d - c) * fx;
        Some(top + (bottom - top) * fy)
    }
}

/// `base` and its successive halvings while both sides stay at least
/// `min_side`.
pub(super) fn pyramid(base: Gray, min_side: usize) -> Vec<Gray> {
    let mut levels = vec![base];
    while let Some(last) = levels.last() {
        if last.w / 2 < min_side || last.h / 2 < min_side {
            break;
        }
        let next = last.halve();
        levels.push(next);
    }
    levels
}

/// For each of `dst` output cells over `src` input pixels, the first input
/// pixel and the coverage weights (summing to 1) of the pixels it covers.
fn area_weights(src: usize, dst: usize) -> Vec<(usize, Vec<f32>)> {
    let ratio = src as f64 / dst.max(1) as f64;
    (0..dst)
        .map(|i| {
            let (a, b) = (i as f64 * ratio, (i + 1) as f64 * ratio);
            let first = (a.floor() as usize).min(src.saturating_sub(1));
            let last = ((b.ceil() as usize).max(first + 1)).min(src);
            let w: Vec<f32> = (first..last)
                .map(|p| ((b.min(p as f64 + 1.0) - a.max(p as f64)).max(0.0) / ratio) as f32)
                .collect();
            (first, w)
        })
        .collect()
}

/// Resamples `src` to `tw` x `th` by exact area averaging (each output
/// pixel is the mean of the input area it covers).
pub(super) fn area_resize(src: &Gray, tw: usize, th: usize) -> Gray {
    let hw = area_weights(src.w, tw);
    let vw = area_weights(src.h, th);
    let mut tmp = vec![0f32; tw * src.h];
    for y in 0..src.h {
        let row = &src.px[y * src.w..(y + 1) * src.w];
        for (x, (first, w)) in hw.iter().enumerate() {
            tmp[y * tw + x] = w
                .iter()
                .zip(row.iter().skip(*first))
                .map(|(w, v)| w * v)
                .sum();
        }
    }
    let mut px = vec![0f32; tw * th];
    for (y, (first, w)) in vw.iter().enumerate() {
        for (k, wk) in w.iter().enumerate() {
            let sy = first + k;
            if sy >= src.h {
                break;
            }
            let srow = &tmp[sy * tw..(sy + 1) * tw];
            for (d, s) in px[y * tw..(y + 1) * tw].iter_mut().zip(srow) {
                *d += wk * s;
            }
        }
    }
    Gray { w: tw, h: th, px }
}

/// The region `left, top, width, height` (continuous coordinates, pixel
/// `i` spans `[i, i + 1)`) of `src` resampled to `tw` x `th` with Lanczos3
/// (the filter of [`crate::transform::resample::resize`]); pixels outside
/// the region feed the filter where they exist. `None` if the resizer
/// refuses.
pub(super) fn lanczos_region(
    src: &Gray,
    region: (f64, f64, f64, f64),
    tw: usize,
    th: usize,
) -> Option<Gray> {
    let pixels: Vec<F32> = src.px.iter().map(|&v| F32::new(v)).collect();
    let view = TypedImageRef::new(
        u32::try_from(src.w).ok()?,
        u32::try_from(src.h).ok()?,
        &pixels,
    )
    .ok()?;
    let mut dst = TypedImage::<F32>::new(u32::try_from(tw).ok()?, u32::try_from(th).ok()?);
    let (left, top, width, height) = region;
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
        .crop(left, top, width, height);
    Resizer::new()
        .resize_typed(&view, &mut dst, &options)
        .ok()?;
    Some(Gray {
        w: tw,
        h: th,
        px: dst.pixels().iter().map(|p| p.0).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_resize_keeps_the_mean_and_constants() {
        let g = Gray {
            w: 7,
            h: 5,
            px: (0..35).map(|i| i as f32).collect(),
        };
        let r = area_resize(&g, 3, 2);
        let mean = |g: &Gray| g.px.iter().sum::<f32>() / g.px.len() as f32;
        assert!((mean(&g) - mean(&r)).abs() < 1e-3);
        let c = Gray {
            w: 9,
            h: 4,
            px: vec![5.0; 36],
        };
        assert!(
            area_resize(&c, 4, 3)
                .px
                .iter()
                .all(|v| (v - 5.0).abs() < 1e-5)
        );
    }

    #[test]
    fn bilinear_refuses_outside_and_interpolates_inside() {
        let g = Gray {
            w: 2,
            h: 2,
            px: vec![0.0, 10.0, 20.0, 30.0],
        };
        assert_eq!(g.bilinear(0.5, 0.5), Some(15.0));
        assert_eq!(g.bilinear(1.0, 0.0), None);
        assert_eq!(g.bilinear(-0.1, 0.0), None);
        assert_eq!(g.bilinear(f64::NAN, 0.0), None);
    }

    #[test]
    fn lanczos_identity_region_copies() {
        let g = Gray {
            w: 8,
            h: 6,
            px: (0..48).map(|i| (i * 7 % 13) as f32).collect(),
        };
        let r = lanczos_region(&g, (2.0, 1.0, 4.0, 3.0), 4, 3).unwrap_or(Gray {
            w: 0,
            h: 0,
            px: vec![],
        });
        assert_eq!(r.px[0], g.px[8 + 2]);
        assert_eq!(r.px[4 * 3 - 1], g.px[3 * 8 + 5]);
    }
}
