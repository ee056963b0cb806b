//! The subject of a cut-out: its largest connected foreground region.

use super::PixelArtError;
use crate::pixel::{Rect, RgbaImage};

/// Alpha at or above which a pixel is foreground.
pub const FOREGROUND_ALPHA: u8 = 128;
/// The fewest pixels a subject may have.
pub const MIN_PIXELS: usize = 64;
/// The most pixels a cut-out may have (a 1 byte a pixel visit map is
/// kept).
pub const MAX_PIXELS: u64 = 50_000_000;

/// The largest region, cropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subject {
    /// The region's bounding box in the cut-out, its pixels unchanged and
    /// every other pixel transparent (all zero).
    pub image: RgbaImage,
    /// Where the box lies in the cut-out.
    pub rect: Rect,
    /// Pixels in the region.
    pub pixels: usize,
}

/// Keeps the largest 8-connected region of pixels with alpha >=
/// [`FOREGROUND_ALPHA`] (the first in scan order among equals) and crops to
/// its bounding box.
pub fn largest_component(img: &RgbaImage) -> Result<Subject, PixelArtError> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w as u64 * h as u64 > MAX_PIXELS {
        return Err(PixelArtError::TooLarge { width: img.width(), height: img.height(), limit: MAX_PIXELS });
    }
    let data = img.data();
    let fg = |i: usize| data[i * 4 + 3] >= FOREGROUND_ALPHA;
    // 0: unvisited, 1: visited; the best region is re-flooded as 2 later.
    let mut seen = vec![0u8; w * h];
    let mut stack = Vec::new();
    let mut best: Option<(usize, usize)> = None; // (seed, size)
    for seed in 0..w * h {
        if seen[seed] != 0 || !fg(seed) {
            continue;
        }
        let size = flood(seed, w, h, &fg, &mut seen, 1, &mut stack).0;
        if best.is_none_or(|(_, s)| size > s) {
            best = Some((seed, size));
        }
    }
    let Some((seed, pixels)) = best else { return Err(PixelArtError::NoForeground) };
    if pixels < MIN_PIXELS {
        return Err(PixelArtError::TooSmall { pixels, min: MIN_PIXELS });
    }
    let (_, rect) = flood(seed, w, h, &fg, &mut seen, 2, &mut stack);
    let mut out = vec![0u8; rect.w as usize * rect.h as usize * 4];
    for y in 0..rect.h as usize {
        for x in 0..rect.w as usize {
            let src = (rect.y as usize + y) * w + rect.x as usize + x;
            if seen[src] == 2 {
                let o = (y * rect.w as usize + x) * 4;
                out[o..o + 4].copy_from_slice(&data[src * 4..src * 4 + 4]);
            }
        }
    }
    let image = RgbaImage::from_vec(rect.w, rect.h, out).map_err(|_| PixelArtError::NoForeground)?;
    Ok(Subject { image, rect, pixels })
}

/// Marks the 8-connected foreground region of `seed` with `mark` (over
/// pixels marked otherwise) and gives its size and bounding box.
fn flood(seed: usize, w: usize, h: usize, fg: &impl Fn(usize) -> bool, seen: &mut [u8], mark: u8, stack: &mut Vec<usize>) -> (usize, Rect) {
    let (mut x0, mut y0, mut x1, mut y1) = (seed % w, seed / w, seed % w, seed / w);
    let mut size = 0;
    seen[seed] = mark;
    stack.clear();
    stack.push(seed);
    while let Some(i) = stack.pop() {
        size += 1;
        let (x, y) = (i % w, i / w);
        (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
        for ny in y.saturating_sub(1)..=(y + 1).min(h - 1) {
            for nx in x.saturating_sub(1)..=(x + 1).min(w - 1) {
                let j = ny * w + nx;
                if seen[j] != mark && fg(j) {
                    seen[j] = mark;
                    stack.push(j);
                }
            }
        }
    }
    (size, Rect { x: x0 as u32, y: y0 as u32, w: (x1 - x0 + 1) as u32, h: (y1 - y0 + 1) as u32 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_alpha(w: u32, h: u32, on: impl Fn(u32, u32) -> bool) -> RgbaImage {
        let data = (0..h).flat_map(|y| (0..w).map(move |x| (x, y))).flat_map(|(x, y)| if on(x, y) { [200, 100, 50, 255] } else { [9, 9, 9, 0] }).collect();
        RgbaImage::from_vec(w, h, data).unwrap()
    }

    #[test]
    fn keeps_the_largest_region_and_crops_to_it() {
        // A 10x10 square, a 3x3 speck, and a diagonal neighbour of the square
        // (8-connected, so it belongs to it).
        let img = with_alpha(40, 30, |x, y| ((5..15).contains(&x) && (4..14).contains(&y)) || ((30..33).contains(&x) && (20..23).contains(&y)) || (x, y) == (15, 14));
        let s = largest_component(&img).unwrap();
        assert_eq!(s.rect, Rect { x: 5, y: 4, w: 11, h: 11 });
        assert_eq!(s.pixels, 101);
        assert_eq!(s.image.data().chunks_exact(4).filter(|p| p[3] == 255).count(), 101);
        // Outside the region, all zero (the input's stray colour is gone).
        assert_eq!(&s.image.data()[(10 * 11) * 4..(10 * 11) * 4 + 4], &[0, 0, 0, 0]);
    }

    #[test]
    fn drops_specks_inside_the_box() {
        // A ring with a speck in its hole that is not connected to it.
        let img = with_alpha(30, 30, |x, y| {
            let d = (x as i32 - 15).pow(2) + (y as i32 - 15).pow(2);
            (64..=144).contains(&d) || (x, y) == (15, 15)
        });
        let s = largest_component(&img).unwrap();
        let (cx, cy) = (15 - s.rect.x, 15 - s.rect.y);
        assert_eq!(s.image.data()[((cy * s.rect.w + cx) * 4 + 3) as usize], 0);
    }

    #[test]
    fn faint_pixels_are_background() {
        let mut img = with_alpha(20, 20, |x, y| (2..12).contains(&x) && (2..12).contains(&y));
        for p in img.data_mut().chunks_exact_mut(4) {
            if p[3] == 0 {
                p[3] = FOREGROUND_ALPHA - 1;
            }
        }
        assert_eq!(largest_component(&img).unwrap().rect, Rect { x: 2, y: 2, w: 10, h: 10 });
    }

    #[test]
    fn refuses_empty_and_tiny_subjects() {
        assert_eq!(largest_component(&with_alpha(16, 16, |_, _| false)), Err(PixelArtError::NoForeground));
        assert_eq!(largest_component(&RgbaImage::filled(0, 0, [0; 4])), Err(PixelArtError::NoForeground));
        assert_eq!(largest_component(&with_alpha(16, 16, |x, y| x < 7 && y < 9)), Err(PixelArtError::TooSmall { pixels: 63, min: 64 }));
        assert!(largest_component(&with_alpha(16, 16, |x, y| x < 8 && y < 8)).is_ok());
    }
}
